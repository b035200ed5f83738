namespace Portcullis.Core.Ikev2.Wire;

/// <summary>Vendor ID payload (RFC 7296 §3.12): opaque bytes.</summary>
public sealed class VendorIdPayload(ReadOnlySpan<byte> data) : Payload
{
    private readonly byte[] _data = data.ToArray();

    /// <inheritdoc />
    public override PayloadType Type => PayloadType.VendorId;

    /// <summary>The vendor ID.</summary>
    public ReadOnlySpan<byte> Data => _data;

    /// <inheritdoc />
    public override int BodyLength => _data.Length;

    /// <inheritdoc />
    public override void WriteBody(Span<byte> destination) => _data.CopyTo(destination);
}
