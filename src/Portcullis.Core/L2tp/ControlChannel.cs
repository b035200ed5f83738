using Portcullis.Core.L2tp.Wire;

namespace Portcullis.Core.L2tp;

/// <summary>
/// Reliable delivery of the control messages of one tunnel (RFC 2661 §5.8), sans-IO. Each message we send takes
/// the next Ns; at most the peer's Receive Window Size are unacknowledged at once and the rest wait. Every message
/// we send carries Nr, the next Ns we expect, which acknowledges all before it. Unacknowledged messages go again
/// after 1 s, doubling to a cap, until the peer acknowledges them or the tries run out. Received messages are
/// delivered in Ns order: early ones wait in a small reorder queue, duplicates are dropped and acknowledged at
/// once. An acknowledgement with nothing to ride on goes as a ZLB after a short delay.
/// </summary>
internal sealed class ControlChannel(L2tpOptions options, Action<byte[]> transmit)
{
    private sealed record Outstanding(ushort Ns, byte[] Bytes);

    private readonly LinkedList<Outstanding> _unacked = new();
    private readonly Queue<byte[]> _waiting = new();
    private readonly Dictionary<ushort, ControlMessage> _reorder = [];
    private ushort _nextNs;
    private ushort _expected;
    private int _tries;
    private DateTimeOffset? _retransmitAt;
    private DateTimeOffset? _ackAt;

    /// <summary>Tunnel ID the peer assigned: the header Tunnel ID of our ZLBs.</summary>
    public ushort PeerTunnelId { get; set; }

    /// <summary>The peer's Receive Window Size (4 until it says otherwise, §5.8).</summary>
    public int PeerWindow { get; set; } = 4;

    /// <summary>Ns the next new message takes.</summary>
    public ushort NextNs => _nextNs;

    /// <summary>Nr: the Ns we expect next from the peer.</summary>
    public ushort ExpectedNs => _expected;

    /// <summary>Retransmissions of the oldest unacknowledged message so far.</summary>
    public int Tries => _tries;

    /// <summary>Messages sent and not yet acknowledged.</summary>
    public int Unacknowledged => _unacked.Count;

    /// <summary>Nothing sent is unacknowledged and nothing waits for the window.</summary>
    public bool IsIdle => _unacked.Count == 0 && _waiting.Count == 0;

    /// <summary>When a control message last came from the peer.</summary>
    public DateTimeOffset LastReceived { get; private set; }

    /// <summary>The earliest retransmission or delayed acknowledgement, if any.</summary>
    public DateTimeOffset? NextTimeout => Min(_retransmitAt, _ackAt);

    /// <summary>Sends a control message (header and AVPs), now if the peer's window allows, else once it opens.</summary>
    public void Send(DateTimeOffset now, byte[] message)
    {
        _waiting.Enqueue(message);
        Flush(now);
    }

    /// <summary>
    /// Takes a received control message (ZLBs included): honours its acknowledgement and returns the messages now
    /// deliverable in order (none for a ZLB, a duplicate or an early message). <paramref name="duplicate"/> tells a
    /// message already delivered before.
    /// </summary>
    public List<ControlMessage> Receive(DateTimeOffset now, ControlMessage message, out bool duplicate)
    {
        duplicate = false;
        LastReceived = now;
        Acknowledge(now, message.Nr);
        var deliver = new List<ControlMessage>();
        if (message.IsZlb) return deliver;
        int ahead = (ushort)(message.Ns - _expected);
        if (ahead == 0)
        {
            deliver.Add(message);
            _expected++;
            while (_reorder.Remove(_expected, out ControlMessage? next))
            {
                deliver.Add(next);
                _expected++;
            }
            ScheduleAck(now + options.AckDelay);
        }
        else if (ahead < 0x8000)
        {
            // Early: hold it if it fits in the window we advertised; the acknowledgement tells the peer what we lack.
            if (ahead < Math.Max(1, options.ReceiveWindowSize)) _reorder.TryAdd(message.Ns, message);
            ScheduleAck(now + options.AckDelay);
        }
        else
        {
            // Ns behind what we expect: a retransmission of something delivered (our acknowledgement was lost).
            duplicate = true;
            ScheduleAck(now);
        }
        return deliver;
    }

    /// <summary>Sends the acknowledgement now (a ZLB unless a message goes out first).</summary>
    public void AcknowledgeNow(DateTimeOffset now) => ScheduleAck(now);

    /// <summary>Sends a ZLB now if an acknowledgement is due (a duplicate is answered without waiting for the timer).</summary>
    public void FlushAcknowledgement(DateTimeOffset now)
    {
        if (_ackAt is { } at && at <= now) SendZlb();
    }

    /// <summary>
    /// Sends what is due: a delayed ZLB, retransmissions. False when the oldest message has used up its tries: the
    /// peer is gone and the tunnel must be cleared (§5.8).
    /// </summary>
    public bool HandleTimeout(DateTimeOffset now)
    {
        if (_retransmitAt is { } at && at <= now)
        {
            if (_tries >= options.RetransmitTries) { _retransmitAt = null; return false; }
            _tries++;
            foreach (Outstanding o in _unacked) Transmit(o.Bytes);
            _retransmitAt = now + options.RetransmitDelay(_tries);
        }
        if (_ackAt is { } ackAt && ackAt <= now) SendZlb();
        return true;
    }

    /// <summary>
    /// Gives up on what we sent (the peer cleared the tunnel, so nothing will acknowledge it) but goes on
    /// acknowledging what the peer sends.
    /// </summary>
    public void AbandonOutstanding()
    {
        _retransmitAt = null;
        _waiting.Clear();
        _unacked.Clear();
    }

    /// <summary>Stops retransmitting and acknowledging (the tunnel is gone).</summary>
    public void Stop()
    {
        _retransmitAt = null;
        _ackAt = null;
        _waiting.Clear();
        _unacked.Clear();
        _reorder.Clear();
    }

    private void Acknowledge(DateTimeOffset now, ushort nr)
    {
        if (_unacked.Count == 0) return;
        int acked = (ushort)(nr - _unacked.First!.Value.Ns);
        // An Nr behind our oldest message, or beyond the newest, acknowledges nothing (stale or bogus).
        if (acked == 0 || acked > _unacked.Count) return;
        for (int i = 0; i < acked; i++) _unacked.RemoveFirst();
        _tries = 0;
        _retransmitAt = _unacked.Count > 0 ? now + options.RetransmitDelay(0) : null;
        Flush(now);
    }

    private void Flush(DateTimeOffset now)
    {
        while (_waiting.Count > 0 && _unacked.Count < Math.Max(1, PeerWindow))
        {
            byte[] bytes = _waiting.Dequeue();
            ushort ns = _nextNs++;
            WriteUInt16(bytes, L2tpHeader.ControlNsOffset, ns);
            _unacked.AddLast(new Outstanding(ns, bytes));
            Transmit(bytes);
            _retransmitAt ??= now + options.RetransmitDelay(0);
        }
    }

    private void Transmit(byte[] bytes)
    {
        // Each send carries the current Nr; a copy, since a retransmission rewrites Nr while an earlier send may
        // still sit in the host's queue.
        WriteUInt16(bytes, L2tpHeader.ControlNrOffset, _expected);
        transmit((byte[])bytes.Clone());
        _ackAt = null;
    }

    private void SendZlb()
    {
        byte[] zlb = new byte[L2tpHeader.ControlHeaderSize];
        L2tpHeader.Control(L2tpHeader.ControlHeaderSize, PeerTunnelId, 0, _nextNs, _expected).Write(zlb);
        transmit(zlb);
        _ackAt = null;
    }

    private void ScheduleAck(DateTimeOffset at) => _ackAt = _ackAt is { } current && current < at ? current : at;

    private static void WriteUInt16(byte[] bytes, int offset, ushort value)
    {
        bytes[offset] = (byte)(value >> 8);
        bytes[offset + 1] = (byte)value;
    }

    private static DateTimeOffset? Min(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a < b ? a : b;
}
