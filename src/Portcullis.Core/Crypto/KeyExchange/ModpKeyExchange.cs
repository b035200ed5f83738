using System.Security.Cryptography;
using Portcullis.Core.Crypto.Native;

namespace Portcullis.Core.Crypto.KeyExchange;

/// <summary>
/// A finite-field Diffie-Hellman group (MODP, RFC 2409 §6, RFC 3526) with generator 2. The Montgomery context of
/// the prime is built once per group and shared, read-only, by every exchange.
/// </summary>
internal sealed unsafe class ModpGroup
{
    private readonly byte[] _prime;

    public ModpGroup(string primeHex, int exponentBits)
    {
        _prime = Convert.FromHexString(primeHex);
        ExponentBits = exponentBits;
        Prime = LibCrypto.Check(BinToBn(_prime), "BN_bin2bn");
        nint ctx = LibCrypto.Check(LibCrypto.BN_CTX_new(), "BN_CTX_new");
        try
        {
            Montgomery = LibCrypto.Check(LibCrypto.BN_MONT_CTX_new(), "BN_MONT_CTX_new");
            LibCrypto.Check(LibCrypto.BN_MONT_CTX_set(Montgomery, Prime, ctx), "BN_MONT_CTX_set");
        }
        finally
        {
            LibCrypto.BN_CTX_free(ctx);
        }
    }

    /// <summary>Length of the prime, and so of every public value and shared secret (RFC 7296 §3.4 pads to it).</summary>
    public int Size => _prime.Length;

    /// <summary>
    /// Bits of the random private exponent: at least twice the group's security strength (NIST SP 800-57), never
    /// less than 256, so that exponentiation stays fast on the large groups.
    /// </summary>
    public int ExponentBits { get; }

    /// <summary>The prime as an OpenSSL BIGNUM (lives as long as the process).</summary>
    public nint Prime { get; }

    /// <summary>The prime's Montgomery context (lives as long as the process).</summary>
    public nint Montgomery { get; }

    /// <summary>The big-endian prime.</summary>
    public ReadOnlySpan<byte> PrimeBytes => _prime;

    /// <summary>Public value check (RFC 7296 §5 / NIST SP 800-56A §5.6.2.3.1): 1 &lt; y &lt; p − 1, constant time.</summary>
    public bool IsValidPublicValue(ReadOnlySpan<byte> y)
    {
        if (y.Length != Size) return false;
        // Two subtractions with borrow, least significant byte first, with no early exit:
        // (p − 2) − y borrows iff y > p − 2, and y − 2 borrows iff y < 2. Every MODP prime ends in 0xFF.
        int tooLarge = 0, tooSmall = 0;
        for (int i = Size - 1; i >= 0; i--)
        {
            int two = i == Size - 1 ? 2 : 0;
            tooLarge = (_prime[i] - two - y[i] - tooLarge) >> 31 & 1;
            tooSmall = (y[i] - two - tooSmall) >> 31 & 1;
        }
        return (tooLarge | tooSmall) == 0;
    }

    internal static nint BinToBn(ReadOnlySpan<byte> value)
    {
        fixed (byte* p = value) return LibCrypto.BN_bin2bn(p, value.Length, 0);
    }
}

/// <summary>One side of a MODP Diffie-Hellman exchange. The private exponent lives in a BIGNUM cleared on dispose.</summary>
internal sealed unsafe class ModpKeyExchange : IKeyExchange
{
    private readonly ModpGroup _group;
    private readonly byte[] _publicValue;
    private nint _private;

    public ModpKeyExchange(ModpGroup group) : this(group, null) { }

    /// <summary>With a given private exponent: for known-answer tests only.</summary>
    internal ModpKeyExchange(ModpGroup group, byte[]? privateExponent)
    {
        _group = group;
        byte[] x = privateExponent ?? RandomNumberGenerator.GetBytes(group.ExponentBits / 8);
        try
        {
            _private = LibCrypto.Check(ModpGroup.BinToBn(x), "BN_bin2bn");
            LibCrypto.BN_set_flags(_private, LibCrypto.BN_FLG_CONSTTIME);
        }
        finally
        {
            if (privateExponent is null) CryptographicOperations.ZeroMemory(x);
        }
        _publicValue = new byte[group.Size];
        ReadOnlySpan<byte> two = [2];
        Power(two, _publicValue);
    }

    public ReadOnlySpan<byte> PublicValue => _publicValue;

    public KeyExchangeError Respond(ReadOnlySpan<byte> initiatorValue, out SecretBuffer? sharedSecret) => Derive(initiatorValue, out sharedSecret);

    public KeyExchangeError Complete(ReadOnlySpan<byte> responderValue, out SecretBuffer? sharedSecret) => Derive(responderValue, out sharedSecret);

    private KeyExchangeError Derive(ReadOnlySpan<byte> peer, out SecretBuffer? sharedSecret)
    {
        sharedSecret = null;
        if (peer.Length != _group.Size) return KeyExchangeError.InvalidLength;
        if (!_group.IsValidPublicValue(peer)) return KeyExchangeError.InvalidPublicValue;
        sharedSecret = new SecretBuffer(_group.Size);
        Power(peer, sharedSecret.Span);
        return KeyExchangeError.None;
    }

    /// <summary>output = base^x mod p, left-padded to the prime's length, in constant time.</summary>
    private void Power(ReadOnlySpan<byte> @base, Span<byte> output)
    {
        ObjectDisposedException.ThrowIf(_private == 0, this);
        nint b = 0, r = 0, ctx = 0;
        try
        {
            b = LibCrypto.Check(ModpGroup.BinToBn(@base), "BN_bin2bn");
            r = LibCrypto.Check(LibCrypto.BN_new(), "BN_new");
            ctx = LibCrypto.Check(LibCrypto.BN_CTX_new(), "BN_CTX_new");
            LibCrypto.Check(LibCrypto.BN_mod_exp_mont_consttime(r, b, _private, _group.Prime, ctx, _group.Montgomery), "BN_mod_exp_mont_consttime");
            fixed (byte* o = output)
                LibCrypto.Check(LibCrypto.BN_bn2binpad(r, o, output.Length), "BN_bn2binpad");
        }
        finally
        {
            if (b != 0) LibCrypto.BN_clear_free(b);
            if (r != 0) LibCrypto.BN_clear_free(r);
            if (ctx != 0) LibCrypto.BN_CTX_free(ctx);
        }
    }

    public void Dispose()
    {
        if (_private != 0) LibCrypto.BN_clear_free(_private);
        _private = 0;
    }
}
