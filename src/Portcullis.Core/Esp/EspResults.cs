namespace Portcullis.Core.Esp;

/// <summary>What <see cref="EspProcessor.Encapsulate(EspSa, ReadOnlySpan{byte}, byte, Span{byte}, out int)"/> did with an outbound packet.</summary>
public enum EncapsulateResult
{
    /// <summary>The ESP packet was written.</summary>
    Ok,

    /// <summary>The inner packet is empty or neither IPv4 nor IPv6 (version nibble); nothing was written.</summary>
    InvalidInnerPacket,

    /// <summary>The output span cannot hold the ESP packet (see <see cref="EspProcessor.GetEncapsulatedLength"/>).</summary>
    OutputTooSmall,

    /// <summary>
    /// The sequence number counter would cycle (RFC 4303 §3.3.3): the SA has sent 2^32 − 1 packets (2^64 − 1 with
    /// ESN) and must be
    /// rekeyed; nothing was written.
    /// </summary>
    SequenceNumberExhausted,

    /// <summary>The SA is inbound, or has been disposed.</summary>
    UnusableSa,
}

/// <summary>What <see cref="EspProcessor.Decapsulate"/> found in an inbound packet. Only <see cref="Ok"/> yields an inner packet.</summary>
public enum DecapsulateResult
{
    /// <summary>Verified and decrypted: the inner packet is ready to be checked against the SA's selectors.</summary>
    Ok,

    /// <summary>Too short for the SPI, sequence number, IV, trailer and ICV, or not a whole number of cipher blocks.</summary>
    Truncated,

    /// <summary>The SPI in the packet is not this SA's.</summary>
    SpiMismatch,

    /// <summary>Sequence number 0, left of the replay window, or already received (RFC 4303 §3.4.3).</summary>
    Replayed,

    /// <summary>The ICV does not verify (RFC 4303 §3.4.4): forged, corrupted or keyed differently.</summary>
    AuthenticationFailed,

    /// <summary>The Pad Length exceeds the payload, or the padding bytes are not 1, 2, 3 … (RFC 4303 §2.4).</summary>
    BadPadding,

    /// <summary>A dummy packet (Next Header 59, RFC 4303 §2.6): authentic, counted, to be discarded silently.</summary>
    DummyPacket,

    /// <summary>Authentic, but on a tunnel-mode SA the Next Header is neither IPv4 (4) nor IPv6 (41).</summary>
    UnsupportedNextHeader,

    /// <summary>The SA is outbound, or has been disposed.</summary>
    UnusableSa,
}
