using System.Numerics;
using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Portcullis.Core.Crypto;
using Portcullis.Core.Crypto.KeyExchange;
using Portcullis.Core.Crypto.Registry;

namespace Portcullis.Benchmarks;

/// <summary>
/// The responder's key exchange in one IKE_SA_INIT (a fresh key pair and one shared secret from the initiator's
/// value), per implementation, in one run: P-256 through the BCL's ECDiffieHellman (what Portcullis used before) and
/// through libcrypto's EVP_PKEY (what the registry now holds); MODP-2048 through BigInteger.ModPow and through
/// libcrypto's BN_mod_exp_mont_consttime (the registry's); X25519 through EVP_PKEY (the registry's).
/// The "-bcl" and "-biginteger" rows are references kept here only, not code paths of the product.
/// </summary>
[MemoryDiagnoser]
public class KeyExchangeImplementationBenchmarks
{
    [Params("ecp256-bcl", "ecp256-libcrypto", "modp2048-biginteger", "modp2048-libcrypto", "curve25519-libcrypto")]
    public string Implementation { get; set; } = "";

    private Func<IKeyExchange> _create = null!;
    private byte[] _initiatorValue = [];

    [GlobalSetup]
    public void Setup()
    {
        _create = Factory(Implementation);
        using IKeyExchange initiator = _create();
        _initiatorValue = initiator.PublicValue.ToArray();
    }

    /// <summary>The implementations by name (also for <see cref="CpuTimes"/>).</summary>
    internal static Func<IKeyExchange> Factory(string implementation) => implementation switch
    {
        "ecp256-bcl" => () => new BclEcdh(),
        "modp2048-biginteger" => () => new BigIntegerModp(),
        _ => TransformRegistry.Get<KeyExchangeTransform>(implementation.Split('-')[0]).CreateResponder,
    };

    [Benchmark]
    public void ResponderKeyExchange()
    {
        using IKeyExchange responder = _create();
        if (responder.Respond(_initiatorValue, out SecretBuffer? secret) != KeyExchangeError.None) throw new InvalidOperationException("refused");
        secret!.Dispose();
    }

    /// <summary>ECDH P-256 as Portcullis did it before: the BCL, which checks an imported point in full.</summary>
    private sealed class BclEcdh : IKeyExchange
    {
        private readonly ECDiffieHellman _key = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        private readonly byte[] _public = new byte[64];

        public BclEcdh()
        {
            ECParameters own = _key.ExportParameters(false);
            own.Q.X!.CopyTo(_public.AsSpan(32 - own.Q.X!.Length));
            own.Q.Y!.CopyTo(_public.AsSpan(64 - own.Q.Y!.Length));
        }

        public ReadOnlySpan<byte> PublicValue => _public;

        public KeyExchangeError Respond(ReadOnlySpan<byte> initiatorValue, out SecretBuffer? sharedSecret)
        {
            using ECDiffieHellman peer = ECDiffieHellman.Create(new ECParameters
            {
                Curve = ECCurve.NamedCurves.nistP256,
                Q = new ECPoint { X = initiatorValue[..32].ToArray(), Y = initiatorValue[32..].ToArray() },
            });
            byte[] x = _key.DeriveRawSecretAgreement(peer.PublicKey);
            sharedSecret = new SecretBuffer(x);
            CryptographicOperations.ZeroMemory(x);
            return KeyExchangeError.None;
        }

        public KeyExchangeError Complete(ReadOnlySpan<byte> responderValue, out SecretBuffer? sharedSecret) => Respond(responderValue, out sharedSecret);

        public void Dispose() => _key.Dispose();
    }

    /// <summary>MODP-2048 with BigInteger.ModPow (not constant time: a reference only), 256-bit exponent as ours.</summary>
    private sealed class BigIntegerModp : IKeyExchange
    {
        private static readonly BigInteger s_prime = new(Convert.FromHexString(ModpPrimes.Prime2048), isUnsigned: true, isBigEndian: true);
        private readonly BigInteger _x = new(RandomNumberGenerator.GetBytes(32), isUnsigned: true, isBigEndian: true);
        private readonly byte[] _public = new byte[256];

        public BigIntegerModp() => Write(BigInteger.ModPow(2, _x, s_prime), _public);

        public ReadOnlySpan<byte> PublicValue => _public;

        public KeyExchangeError Respond(ReadOnlySpan<byte> initiatorValue, out SecretBuffer? sharedSecret)
        {
            var y = new BigInteger(initiatorValue, isUnsigned: true, isBigEndian: true);
            sharedSecret = new SecretBuffer(256);
            Write(BigInteger.ModPow(y, _x, s_prime), sharedSecret.Span);
            return KeyExchangeError.None;
        }

        public KeyExchangeError Complete(ReadOnlySpan<byte> responderValue, out SecretBuffer? sharedSecret) => Respond(responderValue, out sharedSecret);

        private static void Write(BigInteger value, Span<byte> output)
        {
            int length = value.GetByteCount(isUnsigned: true);
            output.Clear();
            value.TryWriteBytes(output[(output.Length - length)..], out _, isUnsigned: true, isBigEndian: true);
        }

        public void Dispose() { }
    }
}
