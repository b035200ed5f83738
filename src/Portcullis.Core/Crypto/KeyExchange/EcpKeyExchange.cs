using System.Security.Cryptography;
using Portcullis.Core.Crypto.Native;

namespace Portcullis.Core.Crypto.KeyExchange;

/// <summary>A NIST prime curve as OpenSSL names it (RFC 5903: groups 19, 20, 21).</summary>
internal sealed class EcpGroup
{
    public static readonly EcpGroup P256 = new("P-256", 415, 32);
    public static readonly EcpGroup P384 = new("P-384", 715, 48);
    public static readonly EcpGroup P521 = new("P-521", 716, 66);

    private EcpGroup(string name, int nid, int coordinateSize)
    {
        Name = name;
        Nid = nid;
        CoordinateSize = coordinateSize;
    }

    /// <summary>OpenSSL's group name (<c>EVP_PKEY_CTX_set_group_name</c>, the "group" key parameter).</summary>
    public string Name { get; }

    /// <summary>OpenSSL's NID of the curve.</summary>
    public int Nid { get; }

    /// <summary>Bytes of one coordinate: the field size rounded up.</summary>
    public int CoordinateSize { get; }
}

/// <summary>
/// Elliptic-curve Diffie-Hellman over the NIST prime curves (RFC 5903: groups 19, 20, 21), on libcrypto's EVP_PKEY
/// API. The KE data is x ‖ y, each padded to the field size; the shared secret is the x coordinate alone (RFC 5903
/// §9, for IKEv1 and IKEv2 alike — Windows and strongSwan do the same). The peer's point is checked to lie on the
/// curve with coordinates below p (NIST SP 800-56A §5.6.2.3.4, partial validation, which suffices for ephemeral keys
/// on these prime-order curves); OpenSSL's full check would add a scalar multiplication by the order. The private
/// key lives in OpenSSL's EVP_PKEY, cleared when freed (dispose).
/// </summary>
internal sealed unsafe class EcpKeyExchange : IKeyExchange
{
    private readonly EcpGroup _group;
    private readonly byte[] _publicValue;
    private nint _key;

    public EcpKeyExchange(EcpGroup group)
    {
        _group = group;
        nint ctx = LibCrypto.Check(LibCrypto.EVP_PKEY_CTX_new_from_name(0, "EC", null), "EVP_PKEY_CTX_new_from_name");
        try
        {
            LibCrypto.Check(LibCrypto.EVP_PKEY_keygen_init(ctx), "EVP_PKEY_keygen_init");
            LibCrypto.Check(LibCrypto.EVP_PKEY_CTX_set_group_name(ctx, group.Name), "EVP_PKEY_CTX_set_group_name");
            nint key = 0;
            LibCrypto.Check(LibCrypto.EVP_PKEY_keygen(ctx, &key), "EVP_PKEY_keygen");
            _key = key;
        }
        finally
        {
            LibCrypto.EVP_PKEY_CTX_free(ctx);
        }
        _publicValue = ExportPublicValue(_key, group.CoordinateSize);
    }

    /// <summary>With a given private key d (big-endian): for known-answer tests only. The public point is computed here.</summary>
    internal EcpKeyExchange(EcpGroup group, byte[] privateKey)
    {
        _group = group;
        int size = group.CoordinateSize;
        byte[] encoded = new byte[1 + 2 * size];
        // OpenSSL 3.0 does not derive the public key of an imported private key: d·G by hand.
        nint ecGroup = 0, point = 0, d = 0;
        try
        {
            ecGroup = LibCrypto.Check(LibCrypto.EC_GROUP_new_by_curve_name(group.Nid), "EC_GROUP_new_by_curve_name");
            point = LibCrypto.Check(LibCrypto.EC_POINT_new(ecGroup), "EC_POINT_new");
            d = LibCrypto.Check(ModpGroup.BinToBn(privateKey), "BN_bin2bn");
            LibCrypto.Check(LibCrypto.EC_POINT_mul(ecGroup, point, d, 0, 0, 0), "EC_POINT_mul");
            fixed (byte* e = encoded)
                if (LibCrypto.EC_POINT_point2oct(ecGroup, point, LibCrypto.POINT_CONVERSION_UNCOMPRESSED, e, (nuint)encoded.Length, 0) != (nuint)encoded.Length)
                    throw new CryptographicException("libcrypto EC_POINT_point2oct failed");
        }
        finally
        {
            if (d != 0) LibCrypto.BN_clear_free(d);
            if (point != 0) LibCrypto.EC_POINT_free(point);
            if (ecGroup != 0) LibCrypto.EC_GROUP_free(ecGroup);
        }
        // OSSL_PARAM integers are in native byte order.
        byte[] native = GC.AllocateArray<byte>(privateKey.Length, pinned: true);
        privateKey.CopyTo(native, 0);
        if (BitConverter.IsLittleEndian) Array.Reverse(native);
        try
        {
            _key = Import(group, encoded, native, LibCrypto.EVP_PKEY_KEYPAIR);
            if (_key == 0) throw new CryptographicException("libcrypto EVP_PKEY_fromdata failed");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(native);
        }
        _publicValue = encoded[1..];
    }

    public ReadOnlySpan<byte> PublicValue => _publicValue;

    public KeyExchangeError Respond(ReadOnlySpan<byte> initiatorValue, out SecretBuffer? sharedSecret) => Derive(initiatorValue, out sharedSecret);

    public KeyExchangeError Complete(ReadOnlySpan<byte> responderValue, out SecretBuffer? sharedSecret) => Derive(responderValue, out sharedSecret);

    private KeyExchangeError Derive(ReadOnlySpan<byte> peer, out SecretBuffer? sharedSecret)
    {
        ObjectDisposedException.ThrowIf(_key == 0, this);
        sharedSecret = null;
        int size = _group.CoordinateSize;
        if (peer.Length != 2 * size) return KeyExchangeError.InvalidLength;
        // IKE sends x ‖ y; OpenSSL takes SEC1's uncompressed form 04 ‖ x ‖ y.
        Span<byte> encoded = stackalloc byte[1 + 2 * 66];
        encoded = encoded[..(1 + peer.Length)];
        encoded[0] = 0x04;
        peer.CopyTo(encoded[1..]);
        nint peerKey = 0, check = 0, ctx = 0;
        try
        {
            // The import refuses coordinates ≥ p and points off the curve; the quick check repeats both and refuses
            // the point at infinity (which x ‖ y cannot encode anyway).
            peerKey = Import(_group, encoded, default, LibCrypto.EVP_PKEY_PUBLIC_KEY);
            if (peerKey == 0) return Refused(KeyExchangeError.InvalidPublicValue);
            check = LibCrypto.Check(LibCrypto.EVP_PKEY_CTX_new(peerKey, 0), "EVP_PKEY_CTX_new");
            if (LibCrypto.EVP_PKEY_public_check_quick(check) <= 0) return Refused(KeyExchangeError.InvalidPublicValue);
            ctx = LibCrypto.Check(LibCrypto.EVP_PKEY_CTX_new(_key, 0), "EVP_PKEY_CTX_new");
            LibCrypto.Check(LibCrypto.EVP_PKEY_derive_init(ctx), "EVP_PKEY_derive_init");
            // Validated above; OpenSSL's own validation would multiply by the order (as costly as the derivation).
            LibCrypto.Check(LibCrypto.EVP_PKEY_derive_set_peer_ex(ctx, peerKey, 0), "EVP_PKEY_derive_set_peer_ex");
            var secret = new SecretBuffer(size);
            nuint length = (nuint)size;
            int rc;
            fixed (byte* s = secret.Span) rc = LibCrypto.EVP_PKEY_derive(ctx, s, ref length);
            if (rc <= 0 || length != (nuint)size)
            {
                secret.Dispose();
                return Refused(KeyExchangeError.InvalidPublicValue);
            }
            sharedSecret = secret;
            return KeyExchangeError.None;
        }
        finally
        {
            if (ctx != 0) LibCrypto.EVP_PKEY_CTX_free(ctx);
            if (check != 0) LibCrypto.EVP_PKEY_CTX_free(check);
            if (peerKey != 0) LibCrypto.EVP_PKEY_free(peerKey);
        }
    }

    private static KeyExchangeError Refused(KeyExchangeError error)
    {
        LibCrypto.ERR_clear_error();
        return error;
    }

    /// <summary>An EC key from its SEC1 public point and, for a key pair, the native-endian private scalar; 0 when refused.</summary>
    private static nint Import(EcpGroup group, ReadOnlySpan<byte> encodedPoint, ReadOnlySpan<byte> nativePrivate, int selection)
    {
        nint ctx = LibCrypto.Check(LibCrypto.EVP_PKEY_CTX_new_from_name(0, "EC", null), "EVP_PKEY_CTX_new_from_name");
        try
        {
            LibCrypto.Check(LibCrypto.EVP_PKEY_fromdata_init(ctx), "EVP_PKEY_fromdata_init");
            Span<byte> name = stackalloc byte[8];
            int nameLength = System.Text.Encoding.ASCII.GetBytes(group.Name, name);
            name[nameLength] = 0;
            fixed (byte* groupKey = "group\0"u8, pubKey = "pub\0"u8, privKey = "priv\0"u8)
            fixed (byte* n = name, pub = encodedPoint, priv = nativePrivate)
            {
                LibCrypto.OsslParam* parameters = stackalloc LibCrypto.OsslParam[4];
                parameters[0] = LibCrypto.OsslParam.Of(groupKey, LibCrypto.OSSL_PARAM_UTF8_STRING, n, nameLength);
                parameters[1] = LibCrypto.OsslParam.Of(pubKey, LibCrypto.OSSL_PARAM_OCTET_STRING, pub, encodedPoint.Length);
                parameters[2] = selection == LibCrypto.EVP_PKEY_KEYPAIR
                    ? LibCrypto.OsslParam.Of(privKey, LibCrypto.OSSL_PARAM_UNSIGNED_INTEGER, priv, nativePrivate.Length)
                    : default;
                parameters[3] = default;
                nint key = 0;
                return LibCrypto.EVP_PKEY_fromdata(ctx, &key, selection, parameters) > 0 ? key : 0;
            }
        }
        finally
        {
            LibCrypto.EVP_PKEY_CTX_free(ctx);
        }
    }

    /// <summary>x ‖ y of the key's public point (OpenSSL gives 04 ‖ x ‖ y, the uncompressed form, by default).</summary>
    private static byte[] ExportPublicValue(nint key, int size)
    {
        Span<byte> encoded = stackalloc byte[1 + 2 * 66];
        nuint length;
        fixed (byte* name = "pub\0"u8, e = encoded)
            LibCrypto.Check(LibCrypto.EVP_PKEY_get_octet_string_param(key, name, e, (nuint)encoded.Length, out length), "EVP_PKEY_get_octet_string_param");
        if (length != (nuint)(1 + 2 * size) || encoded[0] != 0x04) throw new CryptographicException("libcrypto gave an EC public key that is not in uncompressed form");
        return encoded.Slice(1, 2 * size).ToArray();
    }

    public void Dispose()
    {
        if (_key != 0) LibCrypto.EVP_PKEY_free(_key);
        _key = 0;
    }
}
