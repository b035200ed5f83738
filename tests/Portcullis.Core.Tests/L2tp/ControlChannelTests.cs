using Portcullis.Core.L2tp;
using Portcullis.Core.L2tp.Wire;

namespace Portcullis.Core.Tests.L2tp;

/// <summary>Reliable delivery of control messages (RFC 2661 §5.8) on its own, with a fake clock.</summary>
public class ControlChannelTests
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly List<(DateTimeOffset At, ControlMessage Message)> _sent = [];
    private DateTimeOffset _now = T0;

    private ControlChannel NewChannel(L2tpOptions? options = null, int peerWindow = 4) =>
        new(options ?? new L2tpOptions(), bytes =>
        {
            Assert.True(ControlMessage.TryParse(bytes, [], out ControlMessage? m, out var error), error.ToString());
            _sent.Add((_now, m!));
        })
        { PeerTunnelId = 77, PeerWindow = peerWindow };

    private static byte[] Hello() => new ControlMessage { TunnelId = 77, MessageType = L2tpMessageType.Hello }.ToBytes();

    private static ControlMessage From(ushort ns, ushort nr, L2tpMessageType type = L2tpMessageType.Hello) =>
        new() { TunnelId = 5, Ns = ns, Nr = nr, MessageType = type };

    [Fact]
    public void SendsNoMoreThanThePeersWindowAndMoreAsAcksArrive()
    {
        ControlChannel channel = NewChannel(peerWindow: 4);
        for (int i = 0; i < 10; i++) channel.Send(_now, Hello());
        Assert.Equal([0, 1, 2, 3], _sent.Select(s => (int)s.Message.Ns));
        _sent.Clear();
        channel.Receive(_now, new ControlMessage { Ns = 0, Nr = 2 }, out _);  // a ZLB acknowledging 0 and 1
        Assert.Equal([4, 5], _sent.Select(s => (int)s.Message.Ns));
        Assert.Equal(4, channel.Unacknowledged);
        _sent.Clear();
        channel.Receive(_now, new ControlMessage { Ns = 0, Nr = 6 }, out _);
        Assert.Equal([6, 7, 8, 9], _sent.Select(s => (int)s.Message.Ns));
        // An Nr beyond what we sent acknowledges nothing.
        channel.Receive(_now, new ControlMessage { Ns = 0, Nr = 40 }, out _);
        Assert.Equal(4, channel.Unacknowledged);
        channel.Receive(_now, new ControlMessage { Ns = 0, Nr = 10 }, out _);
        Assert.True(channel.IsIdle);
    }

    [Fact]
    public void RetransmitsWithDoublingCappedBackoffThenGivesUp()
    {
        ControlChannel channel = NewChannel();
        channel.Send(_now, Hello());
        var times = new List<double>();
        while (channel.NextTimeout is { } next)
        {
            _now = next;
            if (!channel.HandleTimeout(_now)) break;
            times.Add((_now - T0).TotalSeconds);
        }
        Assert.Equal([1, 3, 7, 15, 23], times);   // 1 s doubling, capped at 8 s, 5 tries
        Assert.Equal(31, (_now - T0).TotalSeconds); // the give-up
        Assert.Equal(6, _sent.Count);
        Assert.All(_sent, s => Assert.Equal(0, s.Message.Ns));
    }

    [Fact]
    public void RetransmissionCarriesTheCurrentNr()
    {
        ControlChannel channel = NewChannel();
        channel.Send(_now, Hello());
        Assert.Equal(0, _sent[0].Message.Nr);
        channel.Receive(_now, From(0, 0), out _);   // the peer's message, not acknowledging ours
        _now += TimeSpan.FromSeconds(1);
        channel.HandleTimeout(_now);
        ControlMessage again = _sent.Last(s => s.Message.MessageType == L2tpMessageType.Hello).Message;
        Assert.Equal((0, 1), (again.Ns, again.Nr));
    }

    [Fact]
    public void AnAckRidesOnTheNextMessageOrGoesAsAZlbAfterTheDelay()
    {
        ControlChannel channel = NewChannel();
        Assert.Single(channel.Receive(_now, From(0, 0), out _));
        Assert.Equal(_now + new L2tpOptions().AckDelay, channel.NextTimeout);
        channel.Send(_now, Hello());                        // carries Nr 1: no ZLB needed
        Assert.Equal(1, _sent.Single().Message.Nr);
        Assert.Equal(_now + TimeSpan.FromSeconds(1), channel.NextTimeout);

        channel.Receive(_now, From(1, 1), out _);            // acknowledges our HELLO, nothing to ride on
        _now = channel.NextTimeout!.Value;
        Assert.Equal(T0 + new L2tpOptions().AckDelay, _now);
        channel.HandleTimeout(_now);
        ControlMessage zlb = _sent.Last().Message;
        Assert.True(zlb.IsZlb);
        Assert.Equal((77, 1, 2), (zlb.TunnelId, zlb.Ns, zlb.Nr));
        Assert.Null(channel.NextTimeout);
    }

    [Fact]
    public void DuplicatesAreAcknowledgedAtOnceAndNotDelivered()
    {
        ControlChannel channel = NewChannel();
        Assert.Single(channel.Receive(_now, From(0, 0), out bool dup));
        Assert.False(dup);
        Assert.Empty(channel.Receive(_now, From(0, 0), out dup));
        Assert.True(dup);
        channel.FlushAcknowledgement(_now);
        ControlMessage zlb = Assert.Single(_sent).Message;
        Assert.True(zlb.IsZlb);
        Assert.Equal(1, zlb.Nr);
    }

    [Fact]
    public void EarlyMessagesWaitAndAreDeliveredInOrder()
    {
        ControlChannel channel = NewChannel();
        Assert.Empty(channel.Receive(_now, From(2, 0, L2tpMessageType.Iccn), out _));
        Assert.Empty(channel.Receive(_now, From(1, 0, L2tpMessageType.Icrq), out _));
        Assert.Empty(channel.Receive(_now, From(1, 0, L2tpMessageType.Icrq), out _));   // twice: held once
        List<ControlMessage> delivered = channel.Receive(_now, From(0, 0, L2tpMessageType.Scccn), out _);
        Assert.Equal([L2tpMessageType.Scccn, L2tpMessageType.Icrq, L2tpMessageType.Iccn], delivered.Select(m => m.MessageType));
        Assert.Equal(3, channel.ExpectedNs);
        // Beyond our window (8): dropped, not held.
        Assert.Empty(channel.Receive(_now, From(3 + 8, 0), out _));
        Assert.Single(channel.Receive(_now, From(3, 0), out _));
    }

    [Fact]
    public void SequenceNumbersWrapAround()
    {
        ControlChannel channel = NewChannel();
        // Bring both counters near 65535 by exchanging messages.
        for (int i = 0; i < 65534; i++)
        {
            channel.Send(_now, Hello());
            channel.Receive(_now, From((ushort)i, (ushort)(i + 1)), out _);
        }
        _sent.Clear();
        for (int i = 0; i < 4; i++)
        {
            channel.Send(_now, Hello());
            Assert.Single(channel.Receive(_now, From((ushort)(65534 + i), (ushort)(65534 + i + 1)), out bool dup));
            Assert.False(dup);
        }
        Assert.Equal([65534, 65535, 0, 1], _sent.Select(s => (int)s.Message.Ns));
        Assert.True(channel.IsIdle);
        Assert.Empty(channel.Receive(_now, From(65535, 2), out bool duplicate));
        Assert.True(duplicate);
    }
}
