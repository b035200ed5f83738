using Portcullis.Core.Eap;

namespace Portcullis.Core.Ikev2.Wire;

/// <summary>
/// Extensible Authentication payload (RFC 7296 §3.16): the body is exactly one EAP message (RFC 3748 §4), whose
/// Length must match the payload.
/// </summary>
public sealed class EapPayload : Payload
{
    private readonly byte[] _message;

    /// <summary>A payload carrying the EAP message <paramref name="eapMessage"/> (as built by <see cref="EapPacket"/>).</summary>
    public EapPayload(ReadOnlySpan<byte> eapMessage) => _message = eapMessage.ToArray();

    /// <inheritdoc />
    public override PayloadType Type => PayloadType.Eap;

    /// <summary>The EAP message.</summary>
    public ReadOnlySpan<byte> Message => _message;

    /// <inheritdoc />
    public override int BodyLength => _message.Length;

    /// <inheritdoc />
    public override void WriteBody(Span<byte> destination) => _message.CopyTo(destination);

    /// <summary>Parses the body: one well-formed EAP message filling it exactly.</summary>
    public static bool TryParse(ReadOnlySpan<byte> body, out EapPayload? payload, out ParseError error)
    {
        payload = null;
        if (!EapPacket.TryParse(body, out EapPacket? packet, out error))
        {
            if (!error.Field.StartsWith("EAP", StringComparison.Ordinal)) error = error with { Field = "EAP " + error.Field };
            return false;
        }
        if (packet!.Length != body.Length)
        {
            error = new("EAP Length", $"{packet.Length} in an EAP payload of {body.Length} bytes");
            return false;
        }
        payload = new EapPayload(body);
        return true;
    }
}
