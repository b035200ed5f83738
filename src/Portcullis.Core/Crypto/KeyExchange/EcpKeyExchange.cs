using System.Security.Cryptography;

namespace Portcullis.Core.Crypto.KeyExchange;

/// <summary>
/// Elliptic-curve Diffie-Hellman over the NIST prime curves (RFC 5903: groups 19, 20, 21). The KE data is
/// x ‖ y, each padded to the field size; the shared secret is the x coordinate alone (RFC 5903 §9, for IKEv1 and
/// IKEv2 alike — Windows and strongSwan do the same). The peer's point is checked to lie on the curve by the
/// key import.
/// </summary>
internal sealed class EcpKeyExchange : IKeyExchange
{
    private readonly ECCurve _curve;
    private readonly int _coordinateSize;
    private readonly ECDiffieHellman _key;
    private readonly byte[] _publicValue;

    public EcpKeyExchange(ECCurve curve, int coordinateSize) : this(curve, coordinateSize, null) { }

    /// <summary>With a given private key d (and its public point): for known-answer tests only.</summary>
    internal EcpKeyExchange(ECCurve curve, int coordinateSize, ECParameters? fixedKey)
    {
        _curve = curve;
        _coordinateSize = coordinateSize;
        _key = fixedKey is { } parameters ? ECDiffieHellman.Create(parameters) : ECDiffieHellman.Create(curve);
        ECParameters own = _key.ExportParameters(includePrivateParameters: false);
        _publicValue = new byte[2 * coordinateSize];
        own.Q.X!.CopyTo(_publicValue.AsSpan(coordinateSize - own.Q.X!.Length));
        own.Q.Y!.CopyTo(_publicValue.AsSpan(2 * coordinateSize - own.Q.Y!.Length));
    }

    public ReadOnlySpan<byte> PublicValue => _publicValue;

    public KeyExchangeError Respond(ReadOnlySpan<byte> initiatorValue, out SecretBuffer? sharedSecret) => Derive(initiatorValue, out sharedSecret);

    public KeyExchangeError Complete(ReadOnlySpan<byte> responderValue, out SecretBuffer? sharedSecret) => Derive(responderValue, out sharedSecret);

    private KeyExchangeError Derive(ReadOnlySpan<byte> peer, out SecretBuffer? sharedSecret)
    {
        sharedSecret = null;
        if (peer.Length != 2 * _coordinateSize) return KeyExchangeError.InvalidLength;
        ECDiffieHellman peerKey;
        try
        {
            peerKey = ECDiffieHellman.Create(new ECParameters
            {
                Curve = _curve,
                Q = new ECPoint { X = peer[.._coordinateSize].ToArray(), Y = peer[_coordinateSize..].ToArray() },
            });
        }
        catch (CryptographicException)
        {
            // The import refuses a point that is not on the curve (or is the point at infinity).
            return KeyExchangeError.InvalidPublicValue;
        }
        using (peerKey)
        {
            byte[] x = _key.DeriveRawSecretAgreement(peerKey.PublicKey);
            sharedSecret = new SecretBuffer(x);
            CryptographicOperations.ZeroMemory(x);
        }
        return KeyExchangeError.None;
    }

    public void Dispose() => _key.Dispose();
}
