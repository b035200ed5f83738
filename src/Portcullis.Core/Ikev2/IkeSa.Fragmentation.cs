using System.Net;
using Portcullis.Core.Config;
using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.Ikev2;

/// <summary>
/// IKE fragmentation (RFC 7383): announcing support in IKE_SA_INIT, sending oversized protected messages as SKF
/// fragments, and putting the peer's fragments back together, one reassembler for its requests and one for its
/// responses (their Message IDs are checked by <see cref="HandleMessage"/> first).
/// </summary>
public sealed partial class IkeSa
{
    private FragmentReassembler? _requestFragments, _responseFragments;
    private bool _announcedFragmentation;

    /// <summary>The peer announced IKEV2_FRAGMENTATION_SUPPORTED in IKE_SA_INIT.</summary>
    public bool PeerSupportsFragmentation { get; private set; }

    /// <summary>
    /// Oversized messages of this SA go out in fragments: both sides announced support and the connection's
    /// <c>fragmentation</c> is <c>yes</c> or <c>force</c>.
    /// </summary>
    public bool SendsFragments => _announcedFragmentation && PeerSupportsFragmentation
        && Connection?.Fragmentation is FragmentationPolicy.Yes or FragmentationPolicy.Force;

    /// <summary>Whether this side's IKE_SA_INIT message carries N(IKEV2_FRAGMENTATION_SUPPORTED); the answer is remembered.</summary>
    private bool AnnounceFragmentation()
    {
        _announcedFragmentation = Connection is { Fragmentation: not FragmentationPolicy.No };
        return _announcedFragmentation;
    }

    /// <summary>A protected message: whole, or in fragments when it is too big for <see cref="IkeEngineOptions.FragmentSize"/> and the SA sends fragments.</summary>
    private byte[][] EncodeProtected(IkeHeader header, IReadOnlyList<Payload> payloads, IPEndPoint local)
    {
        EncryptedPayload protection = Protection!;
        int size = _engine.Options.FragmentSize;
        int max = IkeFragmentation.MaxMessageSize(size, local.AddressFamily, local.Port == _engine.Options.NatTraversalPort);
        int length = protection.ProtectedLength(Payload.ChainLength(payloads));
        if (!SendsFragments || length <= max) return [new IkeMessage(header, payloads).Encode(protection)];
        string kind = header.IsResponse ? "response" : "request";
        IReadOnlyList<byte[]>? fragments = IkeFragmentation.Split(header, payloads, protection, max);
        if (fragments is null)
        {
            IkeLog.CannotFragment(Log, Name, Uid, header.ExchangeType.ToString(), kind, header.MessageId, length, size);
            return [new IkeMessage(header, payloads).Encode(protection)];
        }
        IkeLog.SendingFragments(Log, Name, Uid, header.ExchangeType.ToString(), kind, header.MessageId, fragments.Count, length, max);
        return [.. fragments];
    }

    /// <summary>
    /// Whether a retransmitted request should have the cached response sent again: every unfragmented copy, but of a
    /// fragmented request only its first fragment, so that one retransmission is answered once, not once per fragment.
    /// </summary>
    private static bool IsFirstOrOnlyFragment(IkeHeader header, ReadOnlySpan<byte> datagram) =>
        header.NextPayload != PayloadType.EncryptedFragment
        || (EncryptedFragmentPayload.TryParse(datagram, header, out EncryptedFragmentPayload fragment, out _) && fragment.FragmentNumber == 1);

    /// <summary>
    /// Feeds a fragment of the message <see cref="HandleMessage"/> expects to its reassembler. Returns
    /// <see cref="MessageError.Incomplete"/> while fragments are missing or when the fragment was dropped (logged
    /// here); once complete, the message decoded as if it had come whole.
    /// </summary>
    private MessageError Reassemble(IkeHeader header, ReadOnlySpan<byte> datagram, EncryptedPayload protection, IPEndPoint remote,
        out IkeMessage? message, out ParseError error, out PayloadType? critical)
    {
        message = null;
        critical = null;
        IkeEngineOptions options = _engine.Options;
        FragmentReassembler reassembler = header.IsResponse
            ? _responseFragments ??= new FragmentReassembler(options.MaxIkeFragments, options.MaxIkeReassemblySize)
            : _requestFragments ??= new FragmentReassembler(options.MaxIkeFragments, options.MaxIkeReassemblySize);
        FragmentStatus status = reassembler.Add(datagram, header, protection, out ReassembledMessage? complete, out error);
        string exchange = header.ExchangeType.ToString(), kind = header.IsResponse ? "response" : "request";
        switch (status)
        {
            case FragmentStatus.Complete:
                IkeLog.Reassembled(Log, Name, Uid, exchange, kind, header.MessageId, complete!.Fragments, complete.Content.Length);
                return IkeMessage.TryDecodeInner(header, complete.FirstInner, complete.Content, out message, out error, out critical);
            case FragmentStatus.IntegrityCheckFailed:
                return MessageError.IntegrityCheckFailed;
            case FragmentStatus.Stored or FragmentStatus.Duplicate or FragmentStatus.Stale:
                IkeLog.FragmentReceived(Log, Name, Uid, exchange, kind, header.MessageId, status.ToString(), reassembler.StoredFragments, reassembler.TotalFragments);
                return MessageError.Incomplete;
            default:
                // Malformed, inconsistent or over the limits: dropped without an answer, as the fragment may be forged.
                IkeLog.DroppedForSa(Log, Name, Uid, exchange, header.MessageId, remote, $"{status} fragment: {error}");
                return MessageError.Incomplete;
        }
    }
}
