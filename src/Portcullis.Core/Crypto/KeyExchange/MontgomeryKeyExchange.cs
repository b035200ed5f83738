using System.Security.Cryptography;
using Portcullis.Core.Crypto.Native;

namespace Portcullis.Core.Crypto.KeyExchange;

/// <summary>
/// Curve25519 and Curve448 Diffie-Hellman (RFC 7748) for IKEv2 (RFC 8031: groups 31 and 32). The KE data is the
/// raw u-coordinate; an all-zero shared secret (a small-order peer value) is refused (RFC 8031 §2.3). The BCL has
/// no X25519/X448, so this calls libcrypto's EVP_PKEY API.
/// </summary>
internal sealed unsafe class MontgomeryKeyExchange : IKeyExchange
{
    private readonly int _type;
    private readonly int _size;
    private readonly byte[] _publicValue;
    private nint _key;

    public MontgomeryKeyExchange(int evpType, int size) : this(evpType, size, null) { }

    /// <summary>With a given private scalar: for known-answer tests only.</summary>
    internal MontgomeryKeyExchange(int evpType, int size, byte[]? privateKey)
    {
        _type = evpType;
        _size = size;
        byte[] scalar = GC.AllocateArray<byte>(size, pinned: true);
        if (privateKey is null) RandomNumberGenerator.Fill(scalar);
        else privateKey.CopyTo(scalar, 0);
        try
        {
            fixed (byte* s = scalar)
                _key = LibCrypto.Check(LibCrypto.EVP_PKEY_new_raw_private_key(evpType, 0, s, (nuint)size), "EVP_PKEY_new_raw_private_key");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(scalar);
        }
        _publicValue = new byte[size];
        nuint length = (nuint)size;
        fixed (byte* p = _publicValue)
            LibCrypto.Check(LibCrypto.EVP_PKEY_get_raw_public_key(_key, p, ref length), "EVP_PKEY_get_raw_public_key");
    }

    public ReadOnlySpan<byte> PublicValue => _publicValue;

    public KeyExchangeError Respond(ReadOnlySpan<byte> initiatorValue, out SecretBuffer? sharedSecret) => Derive(initiatorValue, out sharedSecret);

    public KeyExchangeError Complete(ReadOnlySpan<byte> responderValue, out SecretBuffer? sharedSecret) => Derive(responderValue, out sharedSecret);

    private KeyExchangeError Derive(ReadOnlySpan<byte> peer, out SecretBuffer? sharedSecret)
    {
        ObjectDisposedException.ThrowIf(_key == 0, this);
        sharedSecret = null;
        if (peer.Length != _size) return KeyExchangeError.InvalidLength;
        nint peerKey = 0, ctx = 0;
        var secret = new SecretBuffer(_size);
        try
        {
            fixed (byte* p = peer) peerKey = LibCrypto.EVP_PKEY_new_raw_public_key(_type, 0, p, (nuint)_size);
            if (peerKey == 0)
            {
                LibCrypto.ERR_clear_error();
                secret.Dispose();
                return KeyExchangeError.InvalidPublicValue;
            }
            ctx = LibCrypto.Check(LibCrypto.EVP_PKEY_CTX_new(_key, 0), "EVP_PKEY_CTX_new");
            LibCrypto.Check(LibCrypto.EVP_PKEY_derive_init(ctx), "EVP_PKEY_derive_init");
            LibCrypto.Check(LibCrypto.EVP_PKEY_derive_set_peer(ctx, peerKey), "EVP_PKEY_derive_set_peer");
            nuint length = (nuint)_size;
            int rc;
            fixed (byte* s = secret.Span) rc = LibCrypto.EVP_PKEY_derive(ctx, s, ref length);
            // OpenSSL itself fails the derivation when the result is all zeroes; check as well, in constant time.
            if (rc <= 0 || length != (nuint)_size || IsAllZero(secret.ReadOnlySpan))
            {
                LibCrypto.ERR_clear_error();
                secret.Dispose();
                return KeyExchangeError.DegenerateSharedSecret;
            }
            sharedSecret = secret;
            return KeyExchangeError.None;
        }
        finally
        {
            if (ctx != 0) LibCrypto.EVP_PKEY_CTX_free(ctx);
            if (peerKey != 0) LibCrypto.EVP_PKEY_free(peerKey);
        }
    }

    private static bool IsAllZero(ReadOnlySpan<byte> value)
    {
        int acc = 0;
        foreach (byte b in value) acc |= b;
        return acc == 0;
    }

    public void Dispose()
    {
        if (_key != 0) LibCrypto.EVP_PKEY_free(_key);
        _key = 0;
    }
}
