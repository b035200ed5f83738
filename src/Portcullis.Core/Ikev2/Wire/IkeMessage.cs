namespace Portcullis.Core.Ikev2.Wire;

/// <summary>Why a message could not be read.</summary>
public enum MessageError
{
    /// <summary>Read.</summary>
    None,
    /// <summary>The bytes do not follow the format (answer INVALID_SYNTAX once authenticated; drop before).</summary>
    InvalidSyntax,
    /// <summary>A critical payload of unknown type (answer UNSUPPORTED_CRITICAL_PAYLOAD).</summary>
    UnsupportedCriticalPayload,
    /// <summary>The Encrypted payload did not verify (drop silently, RFC 7296 §2.21.3).</summary>
    IntegrityCheckFailed,
    /// <summary>Encrypted but there are no keys yet, or keys but not encrypted where it must be.</summary>
    UnexpectedProtection,
    /// <summary>Only a fragment of a message (RFC 7383), already dealt with (kept, ignored or dropped and logged): nothing to process yet.</summary>
    Incomplete,
}

/// <summary>
/// A whole IKE message: the header and its payloads (after decryption, the payloads of the SK payload — a message
/// is either all cleartext, as IKE_SA_INIT, or all inside SK, as every later exchange).
/// </summary>
public sealed class IkeMessage
{
    /// <summary>A message to send or one that was read.</summary>
    public IkeMessage(IkeHeader header, IReadOnlyList<Payload> payloads, bool encrypted = false)
    {
        Header = header;
        Payloads = payloads;
        Encrypted = encrypted;
    }

    /// <summary>The header.</summary>
    public IkeHeader Header { get; }

    /// <summary>The payloads, in order.</summary>
    public IReadOnlyList<Payload> Payloads { get; }

    /// <summary>The payloads came inside SK.</summary>
    public bool Encrypted { get; }

    /// <summary>The first payload of a type, or null.</summary>
    public T? Get<T>() where T : Payload => Payloads.OfType<T>().FirstOrDefault();

    /// <summary>The first payload of an exact payload type (IDi vs IDr, TSi vs TSr), or null.</summary>
    public T? Get<T>(PayloadType type) where T : Payload => Payloads.OfType<T>().FirstOrDefault(p => p.Type == type);

    /// <summary>Notifies of a type.</summary>
    public NotifyPayload? Notify(NotifyType type) => Payloads.OfType<NotifyPayload>().FirstOrDefault(n => n.NotifyType == type);

    /// <summary>The first error notify, if any.</summary>
    public NotifyPayload? ErrorNotify => Payloads.OfType<NotifyPayload>().FirstOrDefault(n => n.NotifyType.IsError());

    /// <summary>Encodes; inside SK when <paramref name="protection"/> is given.</summary>
    public byte[] Encode(EncryptedPayload? protection)
    {
        if (protection is not null) return protection.Protect(Header, Payloads);
        int length = IkeHeader.Size + Payload.ChainLength(Payloads);
        var bytes = new byte[length];
        (Header with { NextPayload = Payloads.Count > 0 ? Payloads[0].Type : PayloadType.None, Length = (uint)length }).Write(bytes);
        Payload.WriteChain(Payloads, bytes.AsSpan(IkeHeader.Size));
        return bytes;
    }

    /// <summary>
    /// Reads the payloads of a datagram whose header has been read. With <paramref name="protection"/> the message
    /// must carry an SK payload, which is verified and decrypted.
    /// </summary>
    public static MessageError TryDecode(ReadOnlySpan<byte> datagram, IkeHeader header, EncryptedPayload? protection, out IkeMessage? message,
        out ParseError error, out PayloadType? unsupportedCritical)
    {
        message = null;
        datagram = datagram[..(int)header.Length];
        var payloads = new List<Payload>();
        if (!Payload.TryParseChain(header.NextPayload, datagram[IkeHeader.Size..], payloads, out EncryptedBody? sk, out unsupportedCritical, out error))
            return MessageError.InvalidSyntax;
        if (unsupportedCritical is not null) return MessageError.UnsupportedCriticalPayload;
        if (sk is null)
        {
            if (protection is not null)
            {
                error = new("Encrypted payload", $"{header.ExchangeType} message without one");
                return MessageError.UnexpectedProtection;
            }
            message = new IkeMessage(header, payloads);
            return MessageError.None;
        }
        if (protection is null)
        {
            error = new("Encrypted payload", "before keys were agreed");
            return MessageError.UnexpectedProtection;
        }
        if (payloads.Count > 0)
        {
            error = new("Encrypted payload", "cleartext payloads before it");
            return MessageError.InvalidSyntax;
        }
        if (!protection.TryUnprotect(datagram, sk.Value, out byte[] inner, out error)) return error.Field == "Integrity Checksum Data" ? MessageError.IntegrityCheckFailed : MessageError.InvalidSyntax;
        return TryDecodeInner(header, sk.Value.FirstInner, inner, out message, out error, out unsupportedCritical);
    }

    /// <summary>
    /// Reads the decrypted content of an SK payload, or the content of all SKF fragments put back together
    /// (RFC 7383 §2.6), into a message with <paramref name="header"/>.
    /// </summary>
    public static MessageError TryDecodeInner(IkeHeader header, PayloadType firstInner, ReadOnlySpan<byte> inner, out IkeMessage? message,
        out ParseError error, out PayloadType? unsupportedCritical)
    {
        message = null;
        var payloads = new List<Payload>();
        if (!Payload.TryParseChain(firstInner, inner, payloads, out EncryptedBody? nested, out unsupportedCritical, out error))
            return MessageError.InvalidSyntax;
        if (unsupportedCritical is not null) return MessageError.UnsupportedCriticalPayload;
        if (nested is not null) { error = new("Encrypted payload", "nested inside another"); return MessageError.InvalidSyntax; }
        message = new IkeMessage(header, payloads, encrypted: true);
        return MessageError.None;
    }
}
