using System.Runtime.InteropServices;

namespace Portcullis.Core.Crypto.Native;

/// <summary>
/// Thin P/Invoke into the system OpenSSL (libcrypto.so.3), the same library .NET's own cryptography loads.
/// Used for what the BCL lacks: X25519/X448, constant-time MODP exponentiation, Blowfish, and AEAD contexts kept per
/// SA (the BCL's AesGcm and ChaCha20Poly1305 key a new context on every packet); and for ECDH over the NIST curves,
/// where the BCL's key import adds a full public-key check with a scalar multiplication (3.6 times the CPU).
/// Every function returns a status the callers check; nothing here is reached by untrusted lengths unchecked.
/// </summary>
internal static unsafe partial class LibCrypto
{
    private const string Lib = "libcrypto.so.3";

    public const int EVP_PKEY_X25519 = 1034;
    public const int EVP_PKEY_X448 = 1035;

    // --- library contexts and providers (Blowfish lives in OpenSSL 3's "legacy" provider) ---
    [LibraryImport(Lib)] public static partial nint OSSL_LIB_CTX_new();
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] public static partial nint OSSL_PROVIDER_load(nint libctx, string name);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] public static partial nint EVP_CIPHER_fetch(nint libctx, string algorithm, string? properties);
    [LibraryImport(Lib)] public static partial void ERR_clear_error();
    [LibraryImport(Lib)] public static partial nint EVP_CIPHER_get0_provider(nint cipher);
    [LibraryImport(Lib)] public static partial nint OSSL_PROVIDER_get0_provider_ctx(nint provider);
    [LibraryImport(Lib)] public static partial nint OSSL_PROVIDER_query_operation(nint provider, int operationId, out int noCache);
    [LibraryImport(Lib)] public static partial void OSSL_PROVIDER_unquery_operation(nint provider, int operationId, nint algorithms);

    // --- symmetric ciphers ---
    [LibraryImport(Lib)] public static partial nint EVP_CIPHER_CTX_new();
    [LibraryImport(Lib)] public static partial void EVP_CIPHER_CTX_free(nint ctx);
    [LibraryImport(Lib)] public static partial int EVP_CipherInit_ex(nint ctx, nint cipher, nint engine, byte* key, byte* iv, int enc);
    [LibraryImport(Lib)] public static partial int EVP_CIPHER_CTX_set_key_length(nint ctx, int keylen);
    [LibraryImport(Lib)] public static partial int EVP_CIPHER_CTX_set_padding(nint ctx, int pad);
    [LibraryImport(Lib)] public static partial int EVP_CipherUpdate(nint ctx, byte* output, out int outl, byte* input, int inl);
    [LibraryImport(Lib)] public static partial int EVP_CipherFinal_ex(nint ctx, byte* output, out int outl);
    [LibraryImport(Lib)] public static partial int EVP_CIPHER_CTX_ctrl(nint ctx, int type, int arg, byte* ptr);

    // --- raw-key public key operations (X25519, X448) ---
    [LibraryImport(Lib)] public static partial nint EVP_PKEY_new_raw_private_key(int type, nint engine, byte* key, nuint keylen);
    [LibraryImport(Lib)] public static partial nint EVP_PKEY_new_raw_public_key(int type, nint engine, byte* key, nuint keylen);
    [LibraryImport(Lib)] public static partial int EVP_PKEY_get_raw_public_key(nint pkey, byte* pub, ref nuint len);
    [LibraryImport(Lib)] public static partial void EVP_PKEY_free(nint pkey);
    [LibraryImport(Lib)] public static partial nint EVP_PKEY_CTX_new(nint pkey, nint engine);
    [LibraryImport(Lib)] public static partial void EVP_PKEY_CTX_free(nint ctx);
    [LibraryImport(Lib)] public static partial int EVP_PKEY_derive_init(nint ctx);
    [LibraryImport(Lib)] public static partial int EVP_PKEY_derive_set_peer(nint ctx, nint peer);
    [LibraryImport(Lib)] public static partial int EVP_PKEY_derive(nint ctx, byte* key, ref nuint keylen);
    [LibraryImport(Lib)] public static partial int EVP_PKEY_derive_set_peer_ex(nint ctx, nint peer, int validatePeer);

    // --- keys by name and from parameters (ECDH over the NIST curves) ---
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] public static partial nint EVP_PKEY_CTX_new_from_name(nint libctx, string name, string? properties);
    [LibraryImport(Lib)] public static partial int EVP_PKEY_keygen_init(nint ctx);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] public static partial int EVP_PKEY_CTX_set_group_name(nint ctx, string name);
    [LibraryImport(Lib)] public static partial int EVP_PKEY_keygen(nint ctx, nint* pkey);
    [LibraryImport(Lib)] public static partial int EVP_PKEY_fromdata_init(nint ctx);
    [LibraryImport(Lib)] public static partial int EVP_PKEY_fromdata(nint ctx, nint* pkey, int selection, OsslParam* parameters);
    [LibraryImport(Lib)] public static partial int EVP_PKEY_get_octet_string_param(nint pkey, byte* keyName, byte* buffer, nuint size, out nuint length);
    [LibraryImport(Lib)] public static partial int EVP_PKEY_public_check_quick(nint ctx);
    [LibraryImport(Lib)] public static partial nint EC_GROUP_new_by_curve_name(int nid);
    [LibraryImport(Lib)] public static partial void EC_GROUP_free(nint group);
    [LibraryImport(Lib)] public static partial nint EC_POINT_new(nint group);
    [LibraryImport(Lib)] public static partial void EC_POINT_free(nint point);
    [LibraryImport(Lib)] public static partial int EC_POINT_mul(nint group, nint r, nint n, nint q, nint m, nint ctx);
    [LibraryImport(Lib)] public static partial nuint EC_POINT_point2oct(nint group, nint point, int form, byte* buffer, nuint length, nint ctx);

    /// <summary><c>EVP_PKEY_PUBLIC_KEY</c>: domain parameters and the public key.</summary>
    public const int EVP_PKEY_PUBLIC_KEY = 0x86;
    /// <summary><c>EVP_PKEY_KEYPAIR</c>: domain parameters, public and private key.</summary>
    public const int EVP_PKEY_KEYPAIR = 0x87;
    public const uint OSSL_PARAM_UNSIGNED_INTEGER = 2;
    public const uint OSSL_PARAM_UTF8_STRING = 4;
    public const uint OSSL_PARAM_OCTET_STRING = 5;
    public const int POINT_CONVERSION_UNCOMPRESSED = 4;

    /// <summary>OpenSSL's <c>OSSL_PARAM</c>: one named, typed value; an array ends with an all-zero entry.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct OsslParam
    {
        public byte* Key;
        public uint DataType;
        public void* Data;
        public nuint DataSize;
        public nuint ReturnSize;

        public static OsslParam Of(byte* key, uint type, void* data, int size) =>
            new() { Key = key, DataType = type, Data = data, DataSize = (nuint)size, ReturnSize = nuint.MaxValue };
    }

    // --- big numbers (MODP groups) ---
    [LibraryImport(Lib)] public static partial nint BN_CTX_new();
    [LibraryImport(Lib)] public static partial void BN_CTX_free(nint ctx);
    [LibraryImport(Lib)] public static partial nint BN_bin2bn(byte* s, int len, nint ret);
    [LibraryImport(Lib)] public static partial int BN_bn2binpad(nint a, byte* to, int tolen);
    [LibraryImport(Lib)] public static partial nint BN_new();
    [LibraryImport(Lib)] public static partial void BN_free(nint a);
    [LibraryImport(Lib)] public static partial void BN_clear_free(nint a);
    [LibraryImport(Lib)] public static partial int BN_mod_exp_mont_consttime(nint rr, nint a, nint p, nint m, nint ctx, nint inMont);
    [LibraryImport(Lib)] public static partial nint BN_MONT_CTX_new();
    [LibraryImport(Lib)] public static partial void BN_MONT_CTX_free(nint mont);
    [LibraryImport(Lib)] public static partial int BN_MONT_CTX_set(nint mont, nint mod, nint ctx);
    [LibraryImport(Lib)] public static partial void BN_set_flags(nint b, int n);

    public const int BN_FLG_CONSTTIME = 0x04;

    /// <summary>Throws for a failed call on our own (trusted) inputs: a broken library, not a bad peer.</summary>
    public static void Check(int rc, string function)
    {
        if (rc <= 0)
        {
            ERR_clear_error();
            throw new System.Security.Cryptography.CryptographicException($"libcrypto {function} failed");
        }
    }

    /// <summary>Throws for a null handle returned on our own inputs.</summary>
    public static nint Check(nint handle, string function)
    {
        if (handle == 0)
        {
            ERR_clear_error();
            throw new System.Security.Cryptography.CryptographicException($"libcrypto {function} failed");
        }
        return handle;
    }
}
