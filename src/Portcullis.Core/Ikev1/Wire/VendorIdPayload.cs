namespace Portcullis.Core.Ikev1.Wire;

/// <summary>Vendor ID payload (RFC 2408 §3.16): opaque bytes, recognised by <see cref="VendorIds"/>.</summary>
public sealed class VendorIdPayload(ReadOnlySpan<byte> data) : IsakmpPayload
{
    private readonly byte[] _data = data.ToArray();

    /// <inheritdoc />
    public override IsakmpPayloadType Type => IsakmpPayloadType.VendorId;

    /// <summary>The Vendor ID.</summary>
    public ReadOnlySpan<byte> Data => _data;

    /// <inheritdoc />
    public override int BodyLength => _data.Length;

    /// <inheritdoc />
    public override void WriteBody(Span<byte> destination) => _data.CopyTo(destination);
}
