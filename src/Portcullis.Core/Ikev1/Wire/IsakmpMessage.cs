using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.Ikev1.Wire;

/// <summary>
/// A parsed ISAKMP message: the header, its payloads, and the payload chain's plaintext bytes (without encryption
/// padding), which the Quick Mode and Informational hashes cover.
/// </summary>
public sealed class IsakmpMessage
{
    private readonly int[] _offsets;

    private IsakmpMessage(IsakmpHeader header, List<IsakmpPayload> payloads, byte[] chain)
    {
        Header = header;
        Payloads = payloads;
        Chain = chain;
        _offsets = new int[payloads.Count];
        int offset = 0;
        for (int i = 0; i < payloads.Count; i++)
        {
            _offsets[i] = offset;
            offset += payloads[i].Length;
        }
    }

    /// <summary>The header as received.</summary>
    public IsakmpHeader Header { get; }

    /// <summary>The payloads, in order.</summary>
    public IReadOnlyList<IsakmpPayload> Payloads { get; }

    /// <summary>The payload chain as received (decrypted, padding removed).</summary>
    public byte[] Chain { get; }

    /// <summary>The first payload of a type, if any.</summary>
    public T? Get<T>() where T : IsakmpPayload => Payloads.OfType<T>().FirstOrDefault();

    /// <summary>Every payload of a type.</summary>
    public IEnumerable<T> All<T>() where T : IsakmpPayload => Payloads.OfType<T>();

    /// <summary>The notify of a type, if present.</summary>
    public NotificationPayload? Notify(NotifyMessageType type) => All<NotificationPayload>().FirstOrDefault(n => n.NotifyType == type);

    /// <summary>The chain bytes after the first payload (HASH(1) and HASH(2) cover what follows the HASH payload).</summary>
    public ReadOnlySpan<byte> AfterFirst => Payloads.Count == 0 ? [] : Chain.AsSpan(Payloads[0].Length);

    /// <summary>The bytes of payload <paramref name="index"/> as received, generic header included.</summary>
    public ReadOnlySpan<byte> Raw(int index) => Chain.AsSpan(_offsets[index], Payloads[index].Length);

    /// <summary>
    /// Parses a datagram whose header is already read. An encrypted message needs <paramref name="encryption"/> and
    /// the exchange's <paramref name="iv"/>; <paramref name="nextIv"/> is then the IV after it (empty otherwise).
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> datagram, IsakmpHeader header, IsakmpEncryption? encryption, ReadOnlySpan<byte> iv,
        out IsakmpMessage? message, out byte[] nextIv, out ParseError error)
    {
        message = null;
        nextIv = [];
        byte[] body;
        if (header.IsEncrypted)
        {
            if (encryption is null) { error = new("Flags", "encrypted message before keys were agreed"); return false; }
            if (!encryption.TryDecrypt(datagram, header, iv, out body, out nextIv, out error)) return false;
        }
        else
        {
            body = datagram[IsakmpHeader.Size..(int)header.Length].ToArray();
        }
        var payloads = new List<IsakmpPayload>();
        if (!IsakmpPayload.TryParseChain(header.NextPayload, body, allowTrailing: header.IsEncrypted, payloads, out int chainLength, out error))
        {
            if (header.IsEncrypted) error = error with { Reason = error.Reason + " (after decryption: wrong key?)" };
            return false;
        }
        message = new IsakmpMessage(header, payloads, chainLength == body.Length ? body : body[..chainLength]);
        return true;
    }

    /// <summary>An unencrypted message: header (next payload and length filled in here) and payloads.</summary>
    public static byte[] Encode(IsakmpHeader header, IReadOnlyList<IsakmpPayload> payloads)
    {
        byte[] chain = IsakmpPayload.EncodeChain(payloads);
        var datagram = new byte[IsakmpHeader.Size + chain.Length];
        (header with { NextPayload = payloads.Count > 0 ? payloads[0].Type : IsakmpPayloadType.None, Length = (uint)datagram.Length }).Write(datagram);
        chain.CopyTo(datagram, IsakmpHeader.Size);
        return datagram;
    }

    /// <summary>An encrypted message; <paramref name="iv"/> advances to the last cipher block.</summary>
    public static byte[] EncodeEncrypted(IsakmpHeader header, IReadOnlyList<IsakmpPayload> payloads, IsakmpEncryption encryption, Span<byte> iv) =>
        encryption.Encrypt(header with { NextPayload = payloads.Count > 0 ? payloads[0].Type : IsakmpPayloadType.None }, IsakmpPayload.EncodeChain(payloads), iv);

    /// <summary>The payload list as strongSwan logs it: <c>[ SA V V ]</c>.</summary>
    public string Describe() => Describe(Payloads);

    /// <summary>The payload list as strongSwan logs it.</summary>
    public static string Describe(IEnumerable<IsakmpPayload> payloads) =>
        string.Join(' ', payloads.Select(p => p switch
        {
            NotificationPayload n => $"N({n.NotifyType.RfcName()})",
            AttributePayload a => $"CP({a.Describe()})",
            _ => p.Type.ShortName(),
        }));
}
