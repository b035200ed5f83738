namespace Portcullis.Core.Crypto;

/// <summary>
/// A keyed integrity algorithm that takes a per-packet IV, carried in the packet: AES-GMAC in AH (RFC 4543 §4), whose
/// key material ends with a 4-byte salt and whose nonce is salt ‖ IV. One instance per SA direction; not thread-safe.
/// </summary>
public interface IIvIntegrity : IDisposable
{
    /// <summary>Bytes of IV carried in each packet (8).</summary>
    int IvSize { get; }

    /// <summary>Size of the ICV (the tag).</summary>
    int IcvSize { get; }

    /// <summary>Writes the ICV of <paramref name="data"/> ‖ <paramref name="trailer"/> under <paramref name="iv"/>.</summary>
    void Compute(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> data, ReadOnlySpan<byte> trailer, Span<byte> icv);

    /// <summary>Constant-time check of <paramref name="icv"/>; false when it does not verify.</summary>
    bool Verify(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> data, ReadOnlySpan<byte> trailer, ReadOnlySpan<byte> icv);
}
