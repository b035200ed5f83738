using System.Buffers.Binary;

namespace Portcullis.Core.Ikev2.Wire;

/// <summary>
/// A payload of an IKE message. Every payload starts with the generic payload header (RFC 7296 §3.2):
/// <code>
///  Next Payload (1) | C (1 bit) + RESERVED (7) | Payload Length (2, including this header)
/// </code>
/// Subclasses write and parse only the body that follows it.
/// </summary>
public abstract class Payload
{
    /// <summary>Size of the generic payload header.</summary>
    public const int HeaderSize = 4;

    /// <summary>The payload type.</summary>
    public abstract PayloadType Type { get; }

    /// <summary>The Critical bit: a receiver that does not know the type must reject the message.</summary>
    public virtual bool Critical => false;

    /// <summary>Bytes of body (without the generic header).</summary>
    public abstract int BodyLength { get; }

    /// <summary>Writes the body into exactly <see cref="BodyLength"/> bytes.</summary>
    public abstract void WriteBody(Span<byte> destination);

    /// <summary>Header plus body.</summary>
    public int Length => HeaderSize + BodyLength;

    /// <summary>Writes the generic header and the body; returns bytes written.</summary>
    public int Write(Span<byte> destination, PayloadType next)
    {
        destination[0] = (byte)next;
        destination[1] = Critical ? (byte)0x80 : (byte)0;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)Length);
        WriteBody(destination.Slice(HeaderSize, BodyLength));
        return Length;
    }

    /// <summary>Writes a chain of payloads, each naming the next; returns bytes written.</summary>
    public static int WriteChain(IReadOnlyList<Payload> payloads, Span<byte> destination)
    {
        int offset = 0;
        for (int i = 0; i < payloads.Count; i++)
            offset += payloads[i].Write(destination[offset..], i + 1 < payloads.Count ? payloads[i + 1].Type : PayloadType.None);
        return offset;
    }

    /// <summary>Total length of a chain.</summary>
    public static int ChainLength(IReadOnlyList<Payload> payloads)
    {
        int n = 0;
        foreach (Payload p in payloads) n += p.Length;
        return n;
    }

    /// <summary>
    /// Parses a chain of payloads starting with type <paramref name="first"/>. An Encrypted (SK) payload ends the
    /// chain (it must be last, RFC 7296 §3.14): its body is returned in <paramref name="encryptedBody"/> with the
    /// type of its first inner payload. An unknown payload with the Critical bit set is reported in
    /// <paramref name="unsupportedCritical"/> (the caller answers UNSUPPORTED_CRITICAL_PAYLOAD); other unknown
    /// payloads are kept as <see cref="UnknownPayload"/>.
    /// </summary>
    public static bool TryParseChain(PayloadType first, ReadOnlySpan<byte> data, List<Payload> payloads, out EncryptedBody? encryptedBody,
        out PayloadType? unsupportedCritical, out ParseError error)
    {
        encryptedBody = null;
        unsupportedCritical = null;
        error = default;
        PayloadType type = first;
        int offset = 0;
        while (type != PayloadType.None)
        {
            ReadOnlySpan<byte> rest = data[offset..];
            if (rest.Length < HeaderSize) { error = new($"{type} payload header", $"{rest.Length} bytes left, need {HeaderSize}"); return false; }
            var next = (PayloadType)rest[0];
            bool critical = (rest[1] & 0x80) != 0;
            int length = BinaryPrimitives.ReadUInt16BigEndian(rest[2..]);
            if (length < HeaderSize || length > rest.Length) { error = new($"{type} Payload Length", $"{length} with {rest.Length} bytes left"); return false; }
            ReadOnlySpan<byte> body = rest[HeaderSize..length];
            if (type == PayloadType.Encrypted)
            {
                if (offset + length != data.Length) { error = new("Encrypted payload", "is not the last payload"); return false; }
                encryptedBody = new EncryptedBody(next, offset, length);
                return true;
            }
            if (!TryParseBody(type, critical, body, out Payload? payload, out error)) return false;
            if (payload is null)
            {
                if (critical) { unsupportedCritical = type; return true; }
                payload = new UnknownPayload(type, body);
            }
            payloads.Add(payload);
            offset += length;
            type = next;
        }
        if (offset != data.Length) { error = new("Next Payload", $"chain ends with {data.Length - offset} bytes left over"); return false; }
        return true;
    }

    private static bool TryParseBody(PayloadType type, bool critical, ReadOnlySpan<byte> body, out Payload? payload, out ParseError error)
    {
        payload = null;
        error = default;
        bool ok;
        switch (type)
        {
            case PayloadType.SecurityAssociation: ok = SaPayload.TryParse(body, out SaPayload? sa, out error); payload = sa; return ok;
            case PayloadType.KeyExchange: ok = KePayload.TryParse(body, out KePayload? ke, out error); payload = ke; return ok;
            case PayloadType.IdInitiator or PayloadType.IdResponder: ok = IdPayload.TryParse(type, body, out IdPayload? id, out error); payload = id; return ok;
            case PayloadType.Authentication: ok = AuthPayload.TryParse(body, out AuthPayload? auth, out error); payload = auth; return ok;
            case PayloadType.Nonce: ok = NoncePayload.TryParse(body, out NoncePayload? nonce, out error); payload = nonce; return ok;
            case PayloadType.Notify: ok = NotifyPayload.TryParse(body, out NotifyPayload? notify, out error); payload = notify; return ok;
            case PayloadType.Delete: ok = DeletePayload.TryParse(body, out DeletePayload? delete, out error); payload = delete; return ok;
            case PayloadType.VendorId: payload = new VendorIdPayload(body); return true;
            case PayloadType.TrafficSelectorInitiator or PayloadType.TrafficSelectorResponder:
                ok = TsPayload.TryParse(type, body, out TsPayload? ts, out error); payload = ts; return ok;
            case PayloadType.Certificate: ok = CertPayload.TryParse(body, out CertPayload? cert, out error); payload = cert; return ok;
            case PayloadType.CertificateRequest: ok = CertReqPayload.TryParse(body, out CertReqPayload? certReq, out error); payload = certReq; return ok;
            case PayloadType.Eap: ok = EapPayload.TryParse(body, out EapPayload? eap, out error); payload = eap; return ok;
            case PayloadType.Configuration: ok = ConfigurationPayload.TryParse(body, out ConfigurationPayload? cp, out error); payload = cp; return ok;
            default:
                return true;
        }
    }
}

/// <summary>Where the Encrypted payload sits in a message and the type of its first inner payload.</summary>
public readonly record struct EncryptedBody(PayloadType FirstInner, int PayloadOffset, int PayloadLength);

/// <summary>A payload Portcullis keeps as opaque bytes (unknown non-critical types, or types handled elsewhere).</summary>
public sealed class UnknownPayload(PayloadType type, ReadOnlySpan<byte> body, bool critical = false) : Payload
{
    private readonly byte[] _body = body.ToArray();

    /// <inheritdoc />
    public override PayloadType Type { get; } = type;

    /// <inheritdoc />
    public override bool Critical { get; } = critical;

    /// <summary>The body.</summary>
    public ReadOnlySpan<byte> Body => _body;

    /// <inheritdoc />
    public override int BodyLength => _body.Length;

    /// <inheritdoc />
    public override void WriteBody(Span<byte> destination) => _body.CopyTo(destination);
}
