using System.Net.Sockets;
using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.Ikev2;

/// <summary>
/// IKEv2 message fragmentation, sending side (RFC 7383 §2.5): a protected message too big for one datagram is sent
/// as several messages, each with one Encrypted Fragment (SKF) payload carrying a piece of the inner payload chain.
/// </summary>
public static class IkeFragmentation
{
    /// <summary>Bytes of an IPv4 header without options.</summary>
    public const int Ipv4HeaderSize = 20;

    /// <summary>Bytes of an IPv6 header without extension headers.</summary>
    public const int Ipv6HeaderSize = 40;

    /// <summary>Bytes of a UDP header.</summary>
    public const int UdpHeaderSize = 8;

    /// <summary>The four zero bytes in front of IKE on the NAT-T port (RFC 3948 §2.2).</summary>
    public const int NonEspMarkerSize = 4;

    /// <summary>IP datagram size used for IPv4 when the fragment size is 0: the minimum every IPv4 host accepts (RFC 7383 §2.5.1).</summary>
    public const int DefaultIpv4FragmentSize = 576;

    /// <summary>IP datagram size used for IPv6 when the fragment size is 0: the IPv6 minimum MTU (RFC 7383 §2.5.1).</summary>
    public const int DefaultIpv6FragmentSize = 1280;

    /// <summary>
    /// The most bytes of IKE message (from the IKE header on) one datagram may carry so that the whole IP datagram
    /// stays within <paramref name="fragmentSize"/>, as strongSwan's <c>charon.fragment_size</c> counts it: the IP header
    /// (20 bytes for IPv4, 40 for IPv6, no options), the UDP header (8) and, on the NAT-T port, the non-ESP marker (4)
    /// are taken off. A <paramref name="fragmentSize"/> of 0 means the address family's default (576 or 1280).
    /// </summary>
    public static int MaxMessageSize(int fragmentSize, AddressFamily family, bool nonEspMarker)
    {
        bool v6 = family == AddressFamily.InterNetworkV6;
        if (fragmentSize <= 0) fragmentSize = v6 ? DefaultIpv6FragmentSize : DefaultIpv4FragmentSize;
        return fragmentSize - (v6 ? Ipv6HeaderSize : Ipv4HeaderSize) - UdpHeaderSize - (nonEspMarker ? NonEspMarkerSize : 0);
    }

    /// <summary>
    /// Splits the protected message of <paramref name="header"/> and <paramref name="payloads"/> into SKF messages of at
    /// most <paramref name="maxMessageSize"/> bytes each. Each fragment is padded and protected on its own; every
    /// fragment but the last is as full as the size allows. Null when not even one byte of content fits in a fragment.
    /// </summary>
    public static IReadOnlyList<byte[]>? Split(IkeHeader header, IReadOnlyList<Payload> payloads, EncryptedPayload protection, int maxMessageSize)
    {
        var inner = new byte[Payload.ChainLength(payloads)];
        Payload.WriteChain(payloads, inner);
        int room = maxMessageSize - IkeHeader.Size - Payload.HeaderSize - EncryptedFragmentPayload.FragmentFieldsSize;
        int chunk = protection.MaxInnerLength(room);
        if (chunk < 1) return null;
        int total = Math.Max(1, (inner.Length + chunk - 1) / chunk);
        if (total > ushort.MaxValue) return null;
        PayloadType first = payloads.Count > 0 ? payloads[0].Type : PayloadType.None;
        var fragments = new byte[total][];
        for (int i = 0; i < total; i++)
        {
            int start = i * chunk;
            ReadOnlySpan<byte> content = inner.AsSpan(start, Math.Min(chunk, inner.Length - start));
            // Only the first fragment names the first inner payload (RFC 7383 §2.5).
            fragments[i] = EncryptedFragmentPayload.Write(header, (ushort)(i + 1), (ushort)total, i == 0 ? first : PayloadType.None, content, protection);
        }
        return fragments;
    }
}

/// <summary>What <see cref="FragmentReassembler.Add"/> did with a fragment.</summary>
public enum FragmentStatus
{
    /// <summary>Verified and kept; more fragments are missing.</summary>
    Stored,
    /// <summary>The last missing fragment: the message is complete.</summary>
    Complete,
    /// <summary>A fragment already kept (a retransmission): ignored.</summary>
    Duplicate,
    /// <summary>A fragment of an older message than the one being reassembled: ignored.</summary>
    Stale,
    /// <summary>The fragment does not follow the format; dropped, nothing kept changed.</summary>
    Malformed,
    /// <summary>The fragment's checksum does not verify; dropped, nothing kept changed.</summary>
    IntegrityCheckFailed,
    /// <summary>Total Fragments is below that of the fragments kept (an outdated fragmentation); dropped.</summary>
    Inconsistent,
    /// <summary>Total Fragments is above the limit (the fragment is dropped), or the message grows beyond the byte limit (all of it is discarded).</summary>
    LimitExceeded,
}

/// <summary>A message put back together from its fragments: the type of the first inner payload and the inner payload chain.</summary>
public sealed record ReassembledMessage(PayloadType FirstInner, byte[] Content, int Fragments);

/// <summary>
/// Puts fragmented messages back together (RFC 7383 §2.6), one message at a time: one instance per IKE SA and
/// direction (the peer's requests and its responses), fed only fragments whose Message ID the IKE SA expects. Each
/// fragment is verified before it is kept, so forged fragments cannot displace genuine ones; duplicates are ignored;
/// a fragment of a newer message discards an incomplete older one; a genuine fragment with a greater Total
/// Fragments starts the message afresh (the sender re-fragmented it smaller), a smaller one is dropped. Limits
/// bound the work and memory a peer can cause: <c>maxFragments</c> (Total Fragments) and <c>maxBytes</c> (decrypted
/// content kept). Never throws on peer input.
/// </summary>
public sealed class FragmentReassembler(int maxFragments, int maxBytes)
{
    private byte[]?[] _content = [];
    private PayloadType _firstInner;
    private int _count;

    /// <summary>Message ID of the message being reassembled; null when none is.</summary>
    public uint? MessageId { get; private set; }

    /// <summary>Total Fragments of the message being reassembled.</summary>
    public int TotalFragments => _content.Length;

    /// <summary>Fragments kept so far.</summary>
    public int StoredFragments => _count;

    /// <summary>Decrypted bytes kept so far.</summary>
    public int StoredBytes { get; private set; }

    /// <summary>
    /// Takes one message whose header (<paramref name="header"/>) names an SKF payload. On
    /// <see cref="FragmentStatus.Complete"/> <paramref name="complete"/> holds the whole inner payload chain and the
    /// reassembler is empty again; on the refusals <paramref name="error"/> says why.
    /// </summary>
    public FragmentStatus Add(ReadOnlySpan<byte> message, IkeHeader header, EncryptedPayload protection, out ReassembledMessage? complete, out ParseError error)
    {
        complete = null;
        if (!EncryptedFragmentPayload.TryParse(message, header, out EncryptedFragmentPayload fragment, out error)) return FragmentStatus.Malformed;
        bool current = MessageId == header.MessageId;
        if (MessageId is { } id && header.MessageId < id) return FragmentStatus.Stale;
        if (fragment.TotalFragments > maxFragments)
        {
            error = new("Total Fragments", $"{fragment.TotalFragments} is above the limit of {maxFragments}");
            return FragmentStatus.LimitExceeded;
        }
        // A retransmitted fragment is recognised before spending a decryption on it.
        if (current && fragment.TotalFragments == TotalFragments && _content[fragment.FragmentNumber - 1] is not null) return FragmentStatus.Duplicate;

        if (!fragment.TryUnprotect(message, protection, out byte[] content, out error))
            return error.Field == "Integrity Checksum Data" ? FragmentStatus.IntegrityCheckFailed : FragmentStatus.Malformed;

        // Only a verified fragment may change what is kept.
        if (current && fragment.TotalFragments < TotalFragments)
        {
            error = new("Total Fragments", $"{fragment.TotalFragments}, below the {TotalFragments} of the fragments already received");
            return FragmentStatus.Inconsistent;
        }
        if (!current || fragment.TotalFragments > TotalFragments) Start(header.MessageId, fragment.TotalFragments);
        if (StoredBytes + content.Length > maxBytes)
        {
            error = new("Encrypted Fragment payload", $"message {header.MessageId} grows beyond {maxBytes} bytes; discarded");
            Clear();
            return FragmentStatus.LimitExceeded;
        }
        _content[fragment.FragmentNumber - 1] = content;
        _count++;
        StoredBytes += content.Length;
        if (fragment.FragmentNumber == 1) _firstInner = fragment.NextPayload;
        if (_count < _content.Length) return FragmentStatus.Stored;

        var whole = new byte[StoredBytes];
        int offset = 0;
        foreach (byte[]? piece in _content)
        {
            piece!.CopyTo(whole, offset);
            offset += piece.Length;
        }
        complete = new ReassembledMessage(_firstInner, whole, _content.Length);
        Clear();
        return FragmentStatus.Complete;
    }

    /// <summary>Forgets the message being reassembled.</summary>
    public void Clear()
    {
        MessageId = null;
        _content = [];
        _count = 0;
        StoredBytes = 0;
        _firstInner = PayloadType.None;
    }

    private void Start(uint messageId, int total)
    {
        Clear();
        MessageId = messageId;
        _content = new byte[total][];
    }
}
