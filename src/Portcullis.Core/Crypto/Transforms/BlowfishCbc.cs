using System.Security.Cryptography;
using Portcullis.Core.Crypto.Native;

namespace Portcullis.Core.Crypto.Transforms;

/// <summary>
/// Blowfish-CBC (RFC 2451), for IKEv1 peers that still ask for it. The BCL has no Blowfish; OpenSSL 3 keeps it
/// in its "legacy" provider, which we load into a private library context so the process-wide default
/// (used by the rest of .NET) is untouched.
/// </summary>
internal sealed unsafe class BlowfishCbc : ICipher
{
    private static readonly Lazy<nint> s_cipher = new(FetchCipher);
    private readonly byte[] _key;
    private nint _encrypt;
    private nint _decrypt;

    public BlowfishCbc(ReadOnlySpan<byte> key)
    {
        _key = GC.AllocateArray<byte>(key.Length, pinned: true);
        key.CopyTo(_key);
        _encrypt = NewContext(enc: 1);
        _decrypt = NewContext(enc: 0);
    }

    public int BlockSize => 8;
    public int IvSize => 8;

    private static nint FetchCipher()
    {
        nint libctx = LibCrypto.Check(LibCrypto.OSSL_LIB_CTX_new(), "OSSL_LIB_CTX_new");
        LibCrypto.Check(LibCrypto.OSSL_PROVIDER_load(libctx, "legacy"), "OSSL_PROVIDER_load(legacy)");
        LibCrypto.Check(LibCrypto.OSSL_PROVIDER_load(libctx, "default"), "OSSL_PROVIDER_load(default)");
        return LibCrypto.Check(LibCrypto.EVP_CIPHER_fetch(libctx, "BF-CBC", null), "EVP_CIPHER_fetch(BF-CBC)");
    }

    private nint NewContext(int enc)
    {
        nint ctx = LibCrypto.Check(LibCrypto.EVP_CIPHER_CTX_new(), "EVP_CIPHER_CTX_new");
        // Blowfish takes a variable key length: set the cipher first, then the length, then the key.
        LibCrypto.Check(LibCrypto.EVP_CipherInit_ex(ctx, s_cipher.Value, 0, null, null, enc), "EVP_CipherInit_ex");
        LibCrypto.Check(LibCrypto.EVP_CIPHER_CTX_set_key_length(ctx, _key.Length), "EVP_CIPHER_CTX_set_key_length");
        LibCrypto.Check(LibCrypto.EVP_CIPHER_CTX_set_padding(ctx, 0), "EVP_CIPHER_CTX_set_padding");
        fixed (byte* k = _key)
            LibCrypto.Check(LibCrypto.EVP_CipherInit_ex(ctx, 0, 0, k, null, enc), "EVP_CipherInit_ex");
        return ctx;
    }

    public void Encrypt(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> input, Span<byte> output) => Run(_encrypt, iv, input, output);

    public void Decrypt(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> input, Span<byte> output) => Run(_decrypt, iv, input, output);

    private void Run(nint ctx, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> input, Span<byte> output)
    {
        ObjectDisposedException.ThrowIf(ctx == 0, this);
        if (iv.Length != IvSize) throw new ArgumentException("Blowfish-CBC takes an 8-byte IV", nameof(iv));
        if (input.Length % BlockSize != 0) throw new ArgumentException("input is not a whole number of blocks", nameof(input));
        if (output.Length < input.Length) throw new ArgumentException("output shorter than input", nameof(output));
        fixed (byte* pIv = iv)
        fixed (byte* pIn = input)
        fixed (byte* pOut = output)
        {
            // A null key with a new IV keeps the expanded key schedule: no per-packet re-keying.
            LibCrypto.Check(LibCrypto.EVP_CipherInit_ex(ctx, 0, 0, null, pIv, -1), "EVP_CipherInit_ex");
            LibCrypto.Check(LibCrypto.EVP_CipherUpdate(ctx, pOut, out int written, pIn, input.Length), "EVP_CipherUpdate");
            LibCrypto.Check(LibCrypto.EVP_CipherFinal_ex(ctx, pOut + written, out _), "EVP_CipherFinal_ex");
        }
    }

    public void Dispose()
    {
        if (_encrypt != 0) LibCrypto.EVP_CIPHER_CTX_free(_encrypt);
        if (_decrypt != 0) LibCrypto.EVP_CIPHER_CTX_free(_decrypt);
        _encrypt = _decrypt = 0;
        CryptographicOperations.ZeroMemory(_key);
    }
}
