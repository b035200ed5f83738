namespace Portcullis.Core.Crypto.Transforms;

/// <summary>
/// AUTH_AES_128/192/256_GMAC (RFC 4543 §4): AES-GCM with an empty plaintext on the keyed AEAD context of
/// <see cref="EvpAead"/>, everything authenticated as associated data; the key material is the AES key ‖ 4-byte salt.
/// </summary>
internal sealed class AesGmacIntegrity(ReadOnlySpan<byte> keyMaterial) : IIvIntegrity
{
    private readonly EvpAead _gcm = new($"AES-{(keyMaterial.Length - EvpAead.SaltSize) * 8}-GCM", keyMaterial, 16);

    public int IvSize => _gcm.IvSize;

    public int IcvSize => _gcm.IcvSize;

    public void Compute(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> data, ReadOnlySpan<byte> trailer, Span<byte> icv) =>
        _gcm.Authenticate(iv, data, trailer, icv[..IcvSize]);

    public bool Verify(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> data, ReadOnlySpan<byte> trailer, ReadOnlySpan<byte> icv) =>
        iv.Length == IvSize && _gcm.VerifyTag(iv, data, trailer, icv);

    public void Dispose() => _gcm.Dispose();
}
