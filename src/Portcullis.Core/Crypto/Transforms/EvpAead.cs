using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Portcullis.Core.Crypto.Native;

namespace Portcullis.Core.Crypto.Transforms;

/// <summary>
/// AES-GCM (RFC 4106), AES-GMAC (RFC 4543) and ChaCha20-Poly1305 (RFC 7634) on OpenSSL cipher contexts that are
/// keyed once per SA. The BCL's AesGcm and ChaCha20Poly1305 set a context up again, key schedule included, on every
/// call; here a packet costs an IV set (with the expected tag, when opening), the AAD, the data, the final step and,
/// when sealing, the tag. The calls go straight to the provider's functions (<see cref="CipherDispatch"/>), not
/// through EVP, whose per-call parameter lookups cost more than the AAD and the tag together. One context per
/// direction, made on first use (an SA direction only ever seals or only opens); not thread-safe, as
/// <see cref="IAead"/> says.
/// </summary>
internal sealed unsafe class EvpAead : SaltedAead
{
    public const int SaltSize = 4;

    private readonly CipherDispatch _cipher;
    private readonly byte[] _key;
    private readonly bool _gmac;
    // Two OSSL_PARAMs (the tag and the end marker) and the name "tag", in native memory made once: per packet only the
    // tag's address and size are stored, with plain scalar writes. Built on the stack per call, the zeroing and copying
    // of the structures ran in 256/512-bit vector registers and left their upper halves dirty, and OpenSSL's SSE code
    // that follows (GCM's IV set) then ran with the SSE/AVX transition penalty: 0.3 µs a packet (perf: 22 % of an
    // open's samples at the entry of CRYPTO_gcm128_setiv).
    private readonly LibCrypto.OsslParam* _tagParam;
    private nint _encrypt;
    private nint _decrypt;
    private bool _disposed;

    /// <param name="cipher">An EVP name: <c>AES-128-GCM</c>, <c>AES-192-GCM</c>, <c>AES-256-GCM</c> or <c>ChaCha20-Poly1305</c>.</param>
    /// <param name="keyMaterial">The key followed by the 4-byte salt.</param>
    /// <param name="icvSize">The ICV: 8, 12 or 16 for GCM (OpenSSL takes a truncated tag directly), 16 otherwise.</param>
    /// <param name="gmac">ENCR_NULL_AUTH_AES_GMAC: the payload is authenticated as AAD and travels in the clear.</param>
    public EvpAead(string cipher, ReadOnlySpan<byte> keyMaterial, int icvSize, bool gmac = false) : base(keyMaterial[^SaltSize..], icvSize)
    {
        _cipher = CipherDispatch.For(cipher);
        // Kept pinned (never copied by the GC) only until both directions' contexts hold the key schedule.
        _key = GC.AllocateArray<byte>(keyMaterial.Length - SaltSize, pinned: true);
        keyMaterial[..^SaltSize].CopyTo(_key);
        _gmac = gmac;
        _tagParam = (LibCrypto.OsslParam*)NativeMemory.AllocZeroed((nuint)(2 * sizeof(LibCrypto.OsslParam) + 4));
        byte* name = (byte*)(_tagParam + 2);
        name[0] = (byte)'t';
        name[1] = (byte)'a';
        name[2] = (byte)'g';
        _tagParam->Key = name;
        _tagParam->DataType = LibCrypto.OSSL_PARAM_OCTET_STRING;
    }

    /// <summary>The tag parameter pointing at <paramref name="tag"/>, <paramref name="length"/> bytes.</summary>
    private LibCrypto.OsslParam* TagParam(byte* tag, int length)
    {
        LibCrypto.OsslParam* p = _tagParam;
        p->Data = tag;
        p->DataSize = (nuint)length;
        p->ReturnSize = nuint.MaxValue;
        return p;
    }

    private nint EncryptContext => _encrypt != 0 ? _encrypt : Make(ref _encrypt, encrypt: true);

    private nint DecryptContext => _decrypt != 0 ? _decrypt : Make(ref _decrypt, encrypt: false);

    private nint Make(ref nint slot, bool encrypt)
    {
        // Never key a fresh context from the wiped key of a disposed SA.
        ObjectDisposedException.ThrowIf(_disposed, this);
        nint ctx = _cipher.NewContext();
        int rc;
        fixed (byte* k = _key)
            rc = encrypt ? _cipher.EncryptInit(ctx, k, (nuint)_key.Length, null, 0, null) : _cipher.DecryptInit(ctx, k, (nuint)_key.Length, null, 0, null);
        if (rc <= 0)
        {
            _cipher.FreeContext(ctx);
            LibCrypto.Check(rc, "cipher init(key)");
        }
        slot = ctx;
        if (_encrypt != 0 && _decrypt != 0) CryptographicOperations.ZeroMemory(_key);
        return ctx;
    }

    protected override void Encrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag)
    {
        nint ctx = EncryptContext;
        nuint written;
        fixed (byte* n = nonce)
        fixed (byte* aad = associatedData)
        fixed (byte* input = plaintext)
        fixed (byte* output = ciphertext)
        fixed (byte* t = tag)
        {
            // No key with a new IV keeps the key schedule: this is the per-packet cost. The nonce is salt ‖ IV, 12 bytes.
            LibCrypto.Check(_cipher.EncryptInit(ctx, null, 0, n, (nuint)nonce.Length, null), "cipher encrypt_init(IV)");
            Aad(ctx, aad, associatedData.Length);
            if (_gmac)
            {
                // RFC 4543 §3.5: AAD = associated data ‖ IV ‖ payload; the payload itself is not encrypted.
                Aad(ctx, n + SaltSize, nonce.Length - SaltSize);
                BulkAad(ctx, input, plaintext.Length);
                plaintext.CopyTo(ciphertext);
            }
            else if (plaintext.Length > 0)
            {
                LibCrypto.Check(_cipher.Update(ctx, output, &written, (nuint)ciphertext.Length, input, (nuint)plaintext.Length), "cipher update");
            }
            LibCrypto.Check(_cipher.Final(ctx, output, &written, 0), "cipher final");
            // The tag, truncated to the ICV by asking for that many bytes.
            LibCrypto.Check(_cipher.GetContextParams(ctx, TagParam(t, tag.Length)), "cipher get_ctx_params(tag)");
        }
    }

    protected override bool Decrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext)
    {
        nint ctx = DecryptContext;
        nuint written;
        fixed (byte* n = nonce)
        fixed (byte* aad = associatedData)
        fixed (byte* input = ciphertext)
        fixed (byte* output = plaintext)
        fixed (byte* t = tag)
        {
            // The IV and the expected tag in one call (the init applies its parameters after the IV).
            LibCrypto.Check(_cipher.DecryptInit(ctx, null, 0, n, (nuint)nonce.Length, TagParam(t, tag.Length)), "cipher decrypt_init(IV, tag)");
            Aad(ctx, aad, associatedData.Length);
            if (_gmac)
            {
                Aad(ctx, n + SaltSize, nonce.Length - SaltSize);
                BulkAad(ctx, input, ciphertext.Length);
            }
            else if (ciphertext.Length > 0)
            {
                LibCrypto.Check(_cipher.Update(ctx, output, &written, (nuint)plaintext.Length, input, (nuint)ciphertext.Length), "cipher update");
            }
            // Final verifies the tag (constant time inside OpenSSL); a bad packet is a false, never an exception, and
            // SaltedAead zeroes what the update already wrote.
            bool ok = _cipher.Final(ctx, output, &written, 0) > 0;
            if (!ok) LibCrypto.ERR_clear_error();
            else if (_gmac) ciphertext.CopyTo(plaintext);
            return ok;
        }
    }

    /// <summary>
    /// GMAC (RFC 4543 §2): GCM with no plaintext, <paramref name="associatedData"/> ‖ <paramref name="trailer"/>
    /// authenticated. AUTH_AES_GMAC in AH authenticates the whole packet this way, the trailer being an ESN's
    /// high-order bits.
    /// </summary>
    internal void Authenticate(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> trailer, Span<byte> tag)
    {
        Span<byte> nonce = stackalloc byte[16];
        int nonceLength = WriteNonce(iv, nonce);
        nint ctx = EncryptContext;
        nuint written;
        fixed (byte* n = nonce)
        fixed (byte* aad = associatedData)
        fixed (byte* extra = trailer)
        fixed (byte* t = tag)
        {
            LibCrypto.Check(_cipher.EncryptInit(ctx, null, 0, n, (nuint)nonceLength, null), "cipher encrypt_init(IV)");
            BulkAad(ctx, aad, associatedData.Length);
            Aad(ctx, extra, trailer.Length);
            LibCrypto.Check(_cipher.Final(ctx, null, &written, 0), "cipher final");
            LibCrypto.Check(_cipher.GetContextParams(ctx, TagParam(t, IcvSize)), "cipher get_ctx_params(tag)");
        }
    }

    /// <summary>Verifies a GMAC tag made by <see cref="Authenticate"/> (constant time inside OpenSSL); false when it does not verify.</summary>
    internal bool VerifyTag(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> trailer, ReadOnlySpan<byte> tag)
    {
        if (tag.Length != IcvSize) return false;
        Span<byte> nonce = stackalloc byte[16];
        int nonceLength = WriteNonce(iv, nonce);
        nint ctx = DecryptContext;
        nuint written;
        fixed (byte* n = nonce)
        fixed (byte* aad = associatedData)
        fixed (byte* extra = trailer)
        fixed (byte* t = tag)
        {
            LibCrypto.Check(_cipher.DecryptInit(ctx, null, 0, n, (nuint)nonceLength, TagParam(t, tag.Length)), "cipher decrypt_init(IV, tag)");
            BulkAad(ctx, aad, associatedData.Length);
            Aad(ctx, extra, trailer.Length);
            bool ok = _cipher.Final(ctx, null, &written, 0) > 0;
            if (!ok) LibCrypto.ERR_clear_error();
            return ok;
        }
    }

    // The provider checks the output size even where it writes nothing (AAD): it is given the input's length.
    private void Aad(nint ctx, byte* data, int length)
    {
        nuint written;
        if (length > 0) LibCrypto.Check(_cipher.UpdateShort(ctx, null, &written, (nuint)length, data, (nuint)length), "cipher update(AAD)");
    }

    // GMAC's payload, up to a packet long: with the GC transition, like any packet's data.
    private void BulkAad(nint ctx, byte* data, int length)
    {
        nuint written;
        if (length > 0) LibCrypto.Check(_cipher.Update(ctx, null, &written, (nuint)length, data, (nuint)length), "cipher update(AAD)");
    }

    // Freeing the contexts cleanses the expanded key.
    protected override void DisposePrimitive()
    {
        if (_disposed) return;
        _disposed = true;
        if (_encrypt != 0) _cipher.FreeContext(_encrypt);
        if (_decrypt != 0) _cipher.FreeContext(_decrypt);
        _encrypt = _decrypt = 0;
        CryptographicOperations.ZeroMemory(_key);
        NativeMemory.Free(_tagParam);
    }
}
