using System.Buffers.Binary;

namespace Portcullis.Core.Ikev2.Wire;

/// <summary>
/// Delete payload (RFC 7296 §3.11):
/// <code>
///  Protocol ID (1) | SPI Size (1) | Num of SPIs (2) | SPIs
/// </code>
/// For the IKE SA itself the SPI size is 0 and there are no SPIs; for ESP/AH each SPI is 4 bytes (the sender's inbound SPI).
/// </summary>
public sealed class DeletePayload(ProtocolId protocol, IReadOnlyList<uint> spis) : Payload
{
    /// <inheritdoc />
    public override PayloadType Type => PayloadType.Delete;

    /// <summary>IKE, AH or ESP.</summary>
    public ProtocolId Protocol { get; } = protocol;

    /// <summary>The SPIs (empty for IKE).</summary>
    public IReadOnlyList<uint> Spis { get; } = spis;

    /// <inheritdoc />
    public override int BodyLength => 4 + 4 * Spis.Count;

    /// <inheritdoc />
    public override void WriteBody(Span<byte> destination)
    {
        destination[0] = (byte)Protocol;
        destination[1] = Protocol == ProtocolId.Ike ? (byte)0 : (byte)4;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)Spis.Count);
        for (int i = 0; i < Spis.Count; i++) BinaryPrimitives.WriteUInt32BigEndian(destination[(4 + 4 * i)..], Spis[i]);
    }

    /// <summary>Parses the body.</summary>
    public static bool TryParse(ReadOnlySpan<byte> body, out DeletePayload? payload, out ParseError error)
    {
        payload = null;
        error = default;
        if (body.Length < 4) { error = new("Num of SPIs", $"delete body of {body.Length} bytes"); return false; }
        var protocol = (ProtocolId)body[0];
        int spiSize = body[1], count = BinaryPrimitives.ReadUInt16BigEndian(body[2..]);
        if (protocol == ProtocolId.Ike)
        {
            if (spiSize != 0 || count != 0) { error = new("SPI Size", "must be 0 with no SPIs when deleting the IKE SA"); return false; }
            payload = new DeletePayload(protocol, []);
            return true;
        }
        if (protocol is not (ProtocolId.Esp or ProtocolId.Ah)) { error = new("Protocol ID", $"{body[0]} is not IKE, AH or ESP"); return false; }
        if (spiSize != 4) { error = new("SPI Size", $"{spiSize} for {protocol}, must be 4"); return false; }
        if (body.Length != 4 + 4 * count) { error = new("Num of SPIs", $"{count} SPIs need {4 + 4 * count} bytes, body has {body.Length}"); return false; }
        var spis = new uint[count];
        for (int i = 0; i < count; i++) spis[i] = BinaryPrimitives.ReadUInt32BigEndian(body[(4 + 4 * i)..]);
        payload = new DeletePayload(protocol, spis);
        return true;
    }
}
