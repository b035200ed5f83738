using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Portcullis.Core.Crypto.Native;

/// <summary>
/// The functions of one OpenSSL 3 cipher implementation, taken from its provider's dispatch table
/// (<c>OSSL_PROVIDER_query_operation</c>, the public provider interface of <c>core_dispatch.h</c>) and called directly
/// through function pointers. The EVP layer in front of them costs, per packet, more than a third of a 1400-byte
/// AES-GCM seal on OpenSSL 3.0: <c>EVP_CipherInit_ex</c> asks the provider for the IV length on every IV set (an
/// <c>OSSL_PARAM</c> request answered by name lookups, <c>strcmp</c> after <c>strcmp</c>) and
/// <c>EVP_CIPHER_CTX_ctrl</c> translates each tag get or set into such a request; the provider's own functions take
/// the IV length and the tag as arguments. The per-packet calls that run for well under a microsecond (IV set, AAD,
/// final, tag) also skip the runtime's GC transition (<c>SuppressGCTransition</c>); the bulk data call keeps it.
/// </summary>
internal sealed unsafe class CipherDispatch
{
    private const int OSSL_OP_CIPHER = 2;
    private const int OSSL_FUNC_CIPHER_NEWCTX = 1;
    private const int OSSL_FUNC_CIPHER_ENCRYPT_INIT = 2;
    private const int OSSL_FUNC_CIPHER_DECRYPT_INIT = 3;
    private const int OSSL_FUNC_CIPHER_UPDATE = 4;
    private const int OSSL_FUNC_CIPHER_FINAL = 5;
    private const int OSSL_FUNC_CIPHER_FREECTX = 7;
    private const int OSSL_FUNC_CIPHER_GET_CTX_PARAMS = 10;
    private const int OSSL_FUNC_CIPHER_SET_CTX_PARAMS = 11;

    private static readonly ConcurrentDictionary<string, CipherDispatch> s_byName = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The provider's context, the argument of <see cref="NewContext"/>.</summary>
    private readonly nint _providerContext;
    private readonly delegate* unmanaged<nint, nint> _newctx;
    private readonly delegate* unmanaged<nint, void> _freectx;

    /// <summary><c>OSSL_FUNC_cipher_encrypt_init</c>: (ctx, key, keylen, iv, ivlen, params) → 1 on success.</summary>
    public readonly delegate* unmanaged[SuppressGCTransition]<nint, byte*, nuint, byte*, nuint, LibCrypto.OsslParam*, int> EncryptInit;
    /// <summary><c>OSSL_FUNC_cipher_decrypt_init</c>, the same arguments.</summary>
    public readonly delegate* unmanaged[SuppressGCTransition]<nint, byte*, nuint, byte*, nuint, LibCrypto.OsslParam*, int> DecryptInit;
    /// <summary><c>OSSL_FUNC_cipher_update</c> for short inputs (AAD): (ctx, out, outl, outsize, in, inl) → 1 on success.</summary>
    public readonly delegate* unmanaged[SuppressGCTransition]<nint, byte*, nuint*, nuint, byte*, nuint, int> UpdateShort;
    /// <summary><c>OSSL_FUNC_cipher_update</c> for a packet's data, with the GC transition.</summary>
    public readonly delegate* unmanaged<nint, byte*, nuint*, nuint, byte*, nuint, int> Update;
    /// <summary><c>OSSL_FUNC_cipher_final</c>: (ctx, out, outl, outsize) → 1 on success; for an AEAD decryption, 0 for a bad tag.</summary>
    public readonly delegate* unmanaged[SuppressGCTransition]<nint, byte*, nuint*, nuint, int> Final;
    /// <summary><c>OSSL_FUNC_cipher_get_ctx_params</c>: (ctx, params) → 1 on success.</summary>
    public readonly delegate* unmanaged[SuppressGCTransition]<nint, LibCrypto.OsslParam*, int> GetContextParams;
    /// <summary><c>OSSL_FUNC_cipher_set_ctx_params</c>: (ctx, params) → 1 on success.</summary>
    public readonly delegate* unmanaged[SuppressGCTransition]<nint, LibCrypto.OsslParam*, int> SetContextParams;

    [StructLayout(LayoutKind.Sequential)]
    private struct OsslAlgorithm
    {
        public byte* Names;
        public byte* Properties;
        public OsslDispatch* Implementation;
        public byte* Description;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct OsslDispatch
    {
        public int FunctionId;
        public void* Function;
    }

    private CipherDispatch(nint providerContext, OsslDispatch* table)
    {
        _providerContext = providerContext;
        for (OsslDispatch* d = table; d->FunctionId != 0; d++)
        {
            switch (d->FunctionId)
            {
                case OSSL_FUNC_CIPHER_NEWCTX: _newctx = (delegate* unmanaged<nint, nint>)d->Function; break;
                case OSSL_FUNC_CIPHER_FREECTX: _freectx = (delegate* unmanaged<nint, void>)d->Function; break;
                case OSSL_FUNC_CIPHER_ENCRYPT_INIT: EncryptInit = (delegate* unmanaged[SuppressGCTransition]<nint, byte*, nuint, byte*, nuint, LibCrypto.OsslParam*, int>)d->Function; break;
                case OSSL_FUNC_CIPHER_DECRYPT_INIT: DecryptInit = (delegate* unmanaged[SuppressGCTransition]<nint, byte*, nuint, byte*, nuint, LibCrypto.OsslParam*, int>)d->Function; break;
                case OSSL_FUNC_CIPHER_UPDATE:
                    UpdateShort = (delegate* unmanaged[SuppressGCTransition]<nint, byte*, nuint*, nuint, byte*, nuint, int>)d->Function;
                    Update = (delegate* unmanaged<nint, byte*, nuint*, nuint, byte*, nuint, int>)d->Function;
                    break;
                case OSSL_FUNC_CIPHER_FINAL: Final = (delegate* unmanaged[SuppressGCTransition]<nint, byte*, nuint*, nuint, int>)d->Function; break;
                case OSSL_FUNC_CIPHER_GET_CTX_PARAMS: GetContextParams = (delegate* unmanaged[SuppressGCTransition]<nint, LibCrypto.OsslParam*, int>)d->Function; break;
                case OSSL_FUNC_CIPHER_SET_CTX_PARAMS: SetContextParams = (delegate* unmanaged[SuppressGCTransition]<nint, LibCrypto.OsslParam*, int>)d->Function; break;
            }
        }
        if (_newctx == null || _freectx == null || EncryptInit == null || DecryptInit == null || Update == null || Final == null
            || GetContextParams == null || SetContextParams == null)
            throw new CryptographicException("libcrypto: the cipher's provider lacks a function of the cipher interface");
    }

    /// <summary>
    /// The implementation that <c>EVP_CIPHER_fetch</c> finds for <paramref name="evpName"/> in the default library
    /// context, looked up once per process; the fetched cipher is kept, so its provider stays loaded.
    /// </summary>
    public static CipherDispatch For(string evpName) => s_byName.GetOrAdd(evpName, Load);

    private static CipherDispatch Load(string evpName)
    {
        nint cipher = LibCrypto.Check(LibCrypto.EVP_CIPHER_fetch(0, evpName, null), $"EVP_CIPHER_fetch({evpName})");
        nint provider = LibCrypto.Check(LibCrypto.EVP_CIPHER_get0_provider(cipher), "EVP_CIPHER_get0_provider");
        nint providerContext = LibCrypto.OSSL_PROVIDER_get0_provider_ctx(provider);
        var algorithms = (OsslAlgorithm*)LibCrypto.Check(LibCrypto.OSSL_PROVIDER_query_operation(provider, OSSL_OP_CIPHER, out _), "OSSL_PROVIDER_query_operation");
        try
        {
            for (OsslAlgorithm* a = algorithms; a->Names != null; a++)
            {
                // The names are aliases separated by colons: "AES-128-GCM:id-aes128-GCM:2.16.840.1.101.3.4.1.6".
                string names = Marshal.PtrToStringUTF8((nint)a->Names) ?? "";
                foreach (string name in names.Split(':'))
                {
                    if (string.Equals(name, evpName, StringComparison.OrdinalIgnoreCase))
                        return new CipherDispatch(providerContext, a->Implementation);
                }
            }
        }
        finally
        {
            LibCrypto.OSSL_PROVIDER_unquery_operation(provider, OSSL_OP_CIPHER, (nint)algorithms);
        }
        throw new CryptographicException($"libcrypto: {evpName}'s provider does not list it");
    }

    /// <summary>A new, unkeyed cipher context of this implementation; free it with <see cref="FreeContext"/>.</summary>
    public nint NewContext() => LibCrypto.Check(_newctx(_providerContext), "cipher newctx");

    /// <summary>Frees a context; the provider cleanses the key schedule it held.</summary>
    public void FreeContext(nint ctx) => _freectx(ctx);
}
