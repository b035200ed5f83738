using System.Buffers.Binary;
using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.Ikev1.Wire;

/// <summary>
/// A payload of an ISAKMP message. Each starts with the generic payload header (RFC 2408 §3.2):
/// <code>
///  Next Payload (1) | RESERVED (1) | Payload Length (2, including this header)
/// </code>
/// Subclasses write and parse only the body that follows it.
/// </summary>
public abstract class IsakmpPayload
{
    /// <summary>Size of the generic payload header.</summary>
    public const int HeaderSize = 4;

    /// <summary>The payload type.</summary>
    public abstract IsakmpPayloadType Type { get; }

    /// <summary>Bytes of body (without the generic header).</summary>
    public abstract int BodyLength { get; }

    /// <summary>Writes the body into exactly <see cref="BodyLength"/> bytes.</summary>
    public abstract void WriteBody(Span<byte> destination);

    /// <summary>Header plus body.</summary>
    public int Length => HeaderSize + BodyLength;

    /// <summary>The body as bytes (SAi_b, IDii_b, Ni_b in the hashes of RFC 2409 §5).</summary>
    public byte[] BodyBytes()
    {
        var b = new byte[BodyLength];
        WriteBody(b);
        return b;
    }

    /// <summary>Writes the generic header and the body; returns bytes written.</summary>
    public int Write(Span<byte> destination, IsakmpPayloadType next)
    {
        destination[0] = (byte)next;
        destination[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)Length);
        WriteBody(destination.Slice(HeaderSize, BodyLength));
        return Length;
    }

    /// <summary>A chain of payloads, each naming the next, the last naming <paramref name="last"/> (normally none).</summary>
    public static byte[] EncodeChain(IReadOnlyList<IsakmpPayload> payloads, IsakmpPayloadType last = IsakmpPayloadType.None)
    {
        int length = 0;
        foreach (IsakmpPayload p in payloads) length += p.Length;
        var data = new byte[length];
        int offset = 0;
        for (int i = 0; i < payloads.Count; i++)
            offset += payloads[i].Write(data.AsSpan(offset), i + 1 < payloads.Count ? payloads[i + 1].Type : last);
        return data;
    }

    /// <summary>
    /// Parses a chain of payloads starting with type <paramref name="first"/>; <paramref name="chainLength"/> is where
    /// it ended. Bytes after the chain are an error unless <paramref name="allowTrailing"/> (the padding of an
    /// encrypted message). Unknown payload types are kept as <see cref="UnknownIsakmpPayload"/>; Proposal and
    /// Transform payloads appear only inside an SA payload.
    /// </summary>
    public static bool TryParseChain(IsakmpPayloadType first, ReadOnlySpan<byte> data, bool allowTrailing, List<IsakmpPayload> payloads,
        out int chainLength, out ParseError error)
    {
        chainLength = 0;
        error = default;
        IsakmpPayloadType type = first;
        int offset = 0;
        while (type != IsakmpPayloadType.None)
        {
            ReadOnlySpan<byte> rest = data[offset..];
            if (rest.Length < HeaderSize) { error = new($"{type} payload header", $"{rest.Length} bytes left, need {HeaderSize}"); return false; }
            var next = (IsakmpPayloadType)rest[0];
            int length = BinaryPrimitives.ReadUInt16BigEndian(rest[2..]);
            if (length < HeaderSize || length > rest.Length) { error = new($"{type} Payload Length", $"{length} with {rest.Length} bytes left"); return false; }
            if (!TryParseBody(type, rest[HeaderSize..length], out IsakmpPayload? payload, out error)) return false;
            payloads.Add(payload!);
            offset += length;
            type = next;
        }
        if (offset != data.Length && !allowTrailing) { error = new("Next Payload", $"chain ends with {data.Length - offset} bytes left over"); return false; }
        chainLength = offset;
        return true;
    }

    private static bool TryParseBody(IsakmpPayloadType type, ReadOnlySpan<byte> body, out IsakmpPayload? payload, out ParseError error)
    {
        error = default;
        bool ok;
        switch (type)
        {
            case IsakmpPayloadType.SecurityAssociation: ok = SaPayload.TryParse(body, out SaPayload? sa, out error); payload = sa; return ok;
            case IsakmpPayloadType.KeyExchange: ok = KePayload.TryParse(body, out KePayload? ke, out error); payload = ke; return ok;
            case IsakmpPayloadType.Identification: ok = IdPayload.TryParse(body, out IdPayload? id, out error); payload = id; return ok;
            case IsakmpPayloadType.Certificate: ok = CertPayload.TryParse(body, out CertPayload? cert, out error); payload = cert; return ok;
            case IsakmpPayloadType.CertificateRequest: ok = CertReqPayload.TryParse(body, out CertReqPayload? cr, out error); payload = cr; return ok;
            case IsakmpPayloadType.Hash: ok = HashPayload.TryParse(body, out HashPayload? hash, out error); payload = hash; return ok;
            case IsakmpPayloadType.Signature: ok = SignaturePayload.TryParse(body, out SignaturePayload? sig, out error); payload = sig; return ok;
            case IsakmpPayloadType.Nonce: ok = NoncePayload.TryParse(body, out NoncePayload? nonce, out error); payload = nonce; return ok;
            case IsakmpPayloadType.Notification: ok = NotificationPayload.TryParse(body, out NotificationPayload? n, out error); payload = n; return ok;
            case IsakmpPayloadType.Delete: ok = DeletePayload.TryParse(body, out DeletePayload? d, out error); payload = d; return ok;
            case IsakmpPayloadType.VendorId: payload = new VendorIdPayload(body); return true;
            case IsakmpPayloadType.Attributes: ok = AttributePayload.TryParse(body, out AttributePayload? attr, out error); payload = attr; return ok;
            case IsakmpPayloadType.NatDiscovery: ok = NatDPayload.TryParse(body, out NatDPayload? natd, out error); payload = natd; return ok;
            case IsakmpPayloadType.NatOriginalAddress: ok = NatOaPayload.TryParse(body, out NatOaPayload? oa, out error); payload = oa; return ok;
            case IsakmpPayloadType.Proposal or IsakmpPayloadType.Transform:
                payload = null;
                error = new("Next Payload", $"{type} payload outside an SA payload");
                return false;
            default:
                payload = new UnknownIsakmpPayload(type, body);
                return true;
        }
    }
}

/// <summary>A payload kept as opaque bytes (types Portcullis does not handle).</summary>
public sealed class UnknownIsakmpPayload(IsakmpPayloadType type, ReadOnlySpan<byte> body) : IsakmpPayload
{
    private readonly byte[] _body = body.ToArray();

    /// <inheritdoc />
    public override IsakmpPayloadType Type { get; } = type;

    /// <summary>The body.</summary>
    public ReadOnlySpan<byte> Body => _body;

    /// <inheritdoc />
    public override int BodyLength => _body.Length;

    /// <inheritdoc />
    public override void WriteBody(Span<byte> destination) => _body.CopyTo(destination);
}
