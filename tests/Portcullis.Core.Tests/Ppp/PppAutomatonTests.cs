using Portcullis.Core.Ppp;
using Portcullis.Core.Tests.Ikev2;

namespace Portcullis.Core.Tests.Ppp;

/// <summary>
/// A layer on the automaton with one option (type 1, one byte): it requests <see cref="Ours"/> and wants the peer's
/// to be <see cref="Wanted"/>, Naking anything else; other option types are rejected.
/// </summary>
internal sealed class TestLayer(PppContext context) : PppAutomaton(context, 0x8021, "TEST")
{
    public List<string> Actions { get; } = [];
    public byte Ours { get; set; } = 1;
    public byte Wanted { get; set; } = 7;
    public bool IncludeOption { get; set; } = true;

    protected override IReadOnlyList<PppOption> BuildConfigureRequest() => IncludeOption ? [new PppOption(1, [Ours])] : [];

    protected override void EvaluateConfigureRequest(IReadOnlyList<PppOption> options, ConfigureReply reply)
    {
        foreach (PppOption o in options)
        {
            if (o.Type != 1) reply.Reject(o, "unknown");
            else if (o.Data.Length != 1 || o.Data[0] != Wanted) reply.Nak(o, new PppOption(1, [Wanted]), "want another value");
        }
    }

    protected override string? ConfigureNaked(IReadOnlyList<PppOption> options)
    {
        foreach (PppOption o in options) if (o.Type == 1) Ours = o.Data[0];
        return null;
    }

    protected override string? ConfigureRejected(IReadOnlyList<PppOption> options)
    {
        IncludeOption = false;
        return null;
    }

    protected override void ThisLayerUp(DateTimeOffset now) => Actions.Add("tlu");
    protected override void ThisLayerDown(DateTimeOffset now) => Actions.Add("tld");
    protected override void ThisLayerStarted(DateTimeOffset now) => Actions.Add("tls");
    protected override void ThisLayerFinished(DateTimeOffset now) => Actions.Add("tlf");
    protected override string OptionName(byte type) => $"option {type}";

    public void PermittedReject() => ReceivePermittedReject();
}

/// <summary>The automaton against RFC 1661 §4.1's state table, transition by transition.</summary>
public class PppAutomatonTests
{
    private readonly List<byte[]> _sent = [];
    private readonly TestLayer _layer;
    private DateTimeOffset _now = DateTimeOffset.UnixEpoch;

    public PppAutomatonTests()
    {
        var context = new PppContext(new PppOptions { FindPassword = _ => null }, new CapturingLogger("t"), (protocol, packet) =>
        {
            Assert.Equal(0x8021, protocol);
            _sent.Add(packet);
        });
        _layer = new TestLayer(context);
    }

    private static byte[] Packet(PppCode code, byte id, string dataHex = "") => PppControlPacket.Build(code, id, Convert.FromHexString(dataHex));

    private void Receive(PppCode code, byte id, string dataHex = "") => _layer.Receive(_now, Packet(code, id, dataHex));

    private byte[] Last => _sent[^1];

    private void AssertSent(PppCode code, byte id, string dataHex = "") => Assert.Equal(Packet(code, id, dataHex), Last);

    private void Elapse(int seconds)
    {
        _now += TimeSpan.FromSeconds(seconds);
        _layer.Timeout(_now);
    }

    // Up and Open, our request (id 1, value 1) sent: Req-Sent.
    private void ToRequestSent()
    {
        _layer.Up(_now);
        _layer.Open(_now);
        Assert.Equal(PppState.RequestSent, _layer.State);
    }

    private void ToOpened()
    {
        ToRequestSent();
        Receive(PppCode.ConfigureRequest, 50, "010307");
        Receive(PppCode.ConfigureAck, 1, "010301");
        Assert.Equal(PppState.Opened, _layer.State);
        _sent.Clear();
        _layer.Actions.Clear();
    }

    [Fact]
    public void UpThenOpenSendsAConfigureRequest()
    {
        _layer.Up(_now);
        Assert.Equal(PppState.Closed, _layer.State);
        Assert.Empty(_sent);
        _layer.Open(_now);
        Assert.Equal(PppState.RequestSent, _layer.State);
        AssertSent(PppCode.ConfigureRequest, 1, "010301");
        Assert.Equal(_now + TimeSpan.FromSeconds(3), _layer.RestartDeadline);
    }

    [Fact]
    public void OpenThenUpStartsAndSends()
    {
        _layer.Open(_now);
        Assert.Equal(PppState.Starting, _layer.State);
        Assert.Equal(["tls"], _layer.Actions);
        _layer.Up(_now);
        Assert.Equal(PppState.RequestSent, _layer.State);
        AssertSent(PppCode.ConfigureRequest, 1, "010301");
    }

    [Fact]
    public void GoodRequestThenAckOpens()
    {
        ToRequestSent();
        Receive(PppCode.ConfigureRequest, 50, "010307");
        Assert.Equal(PppState.AckSent, _layer.State);
        AssertSent(PppCode.ConfigureAck, 50, "010307");
        Receive(PppCode.ConfigureAck, 1, "010301");
        Assert.Equal(PppState.Opened, _layer.State);
        Assert.Equal(["tlu"], _layer.Actions);
        Assert.Null(_layer.RestartDeadline);
    }

    [Fact]
    public void AckThenGoodRequestOpens()
    {
        ToRequestSent();
        Receive(PppCode.ConfigureAck, 1, "010301");
        Assert.Equal(PppState.AckReceived, _layer.State);
        Receive(PppCode.ConfigureRequest, 50, "010307");
        Assert.Equal(PppState.Opened, _layer.State);
        AssertSent(PppCode.ConfigureAck, 50, "010307");
        Assert.Equal(["tlu"], _layer.Actions);
    }

    [Fact]
    public void BadRequestIsNakedAndRejectWinsOverNak()
    {
        ToRequestSent();
        Receive(PppCode.ConfigureRequest, 50, "010305");
        Assert.Equal(PppState.RequestSent, _layer.State);
        AssertSent(PppCode.ConfigureNak, 50, "010307");
        Receive(PppCode.ConfigureRequest, 51, "0103050203aa");
        AssertSent(PppCode.ConfigureReject, 51, "0203aa");
        // In Ack-Rcvd a bad request is answered and the state stays (scn/7).
        Receive(PppCode.ConfigureAck, 1, "010301");
        Receive(PppCode.ConfigureRequest, 52, "010305");
        Assert.Equal(PppState.AckReceived, _layer.State);
    }

    [Fact]
    public void NakAdjustsTheNextRequestWithANewIdentifier()
    {
        ToRequestSent();
        Receive(PppCode.ConfigureNak, 1, "010309");
        Assert.Equal(PppState.RequestSent, _layer.State);
        AssertSent(PppCode.ConfigureRequest, 2, "010309");
        // Ack-Rcvd + RCN: scr/6.
        Receive(PppCode.ConfigureAck, 2, "010309");
        Assert.Equal(PppState.AckReceived, _layer.State);
        Receive(PppCode.ConfigureNak, 2, "010304");
        Assert.Equal(PppState.AckReceived, _layer.State); // the request was answered already: a stale Nak is dropped
    }

    [Fact]
    public void RejectDropsTheOptionAndMustNameSentOptions()
    {
        ToRequestSent();
        Receive(PppCode.ConfigureReject, 1, "010302");
        Assert.Single(_sent); // not what we sent: discarded
        Receive(PppCode.ConfigureReject, 1, "010301");
        AssertSent(PppCode.ConfigureRequest, 2);
    }

    [Fact]
    public void AckMustMatchIdentifierAndOptions()
    {
        ToRequestSent();
        Receive(PppCode.ConfigureAck, 9, "010301");
        Receive(PppCode.ConfigureAck, 1, "010302");
        Assert.Equal(PppState.RequestSent, _layer.State);
        Receive(PppCode.ConfigureAck, 1, "010301");
        Assert.Equal(PppState.AckReceived, _layer.State);
        // A duplicate of the same Ack is not a crossed connection.
        Receive(PppCode.ConfigureAck, 1, "010301");
        Assert.Equal(PppState.AckReceived, _layer.State);
    }

    [Fact]
    public void RestartTimerRetransmitsThenGivesUpAfterMaxConfigure()
    {
        ToRequestSent();
        for (int i = 2; i <= 10; i++)
        {
            Elapse(3);
            Assert.Equal(i, _sent.Count);
            AssertSent(PppCode.ConfigureRequest, 1, "010301"); // unchanged, so the same Identifier
        }
        Elapse(3);
        Assert.Equal(10, _sent.Count);
        Assert.Equal(PppState.Stopped, _layer.State);
        Assert.Equal(["tlf"], _layer.Actions);
        Assert.Equal("TEST: peer did not answer 10 Configure-Requests", _layer.Reason);
        Assert.Null(_layer.RestartDeadline);
    }

    [Fact]
    public void AckReceivedTimeoutGoesBackToRequestSent()
    {
        ToRequestSent();
        Receive(PppCode.ConfigureAck, 1, "010301");
        Elapse(3);
        Assert.Equal(PppState.RequestSent, _layer.State);
        AssertSent(PppCode.ConfigureRequest, 2, "010301"); // the last one was answered: a new Identifier
    }

    [Fact]
    public void StoppedAnswersANewRequestByNegotiating()
    {
        ToRequestSent();
        for (int i = 0; i < 10; i++) Elapse(3);
        Assert.Equal(PppState.Stopped, _layer.State);
        _sent.Clear();
        Receive(PppCode.ConfigureRequest, 60, "010307");
        Assert.Equal(PppState.AckSent, _layer.State);
        Assert.Equal(2, _sent.Count);
        Assert.Equal(Packet(PppCode.ConfigureRequest, 2, "010301"), _sent[0]);
        Assert.Equal(Packet(PppCode.ConfigureAck, 60, "010307"), _sent[1]);
    }

    [Fact]
    public void ClosedAnswersConfigurePacketsWithTerminateAck()
    {
        _layer.Up(_now);
        Receive(PppCode.ConfigureRequest, 70, "010307");
        AssertSent(PppCode.TerminateAck, 70);
        Receive(PppCode.ConfigureAck, 71, "010307");
        AssertSent(PppCode.TerminateAck, 71);
        Assert.Equal(PppState.Closed, _layer.State);
    }

    [Fact]
    public void PeerTerminateRequestWhileOpenedStopsAfterOneRestartPeriod()
    {
        ToOpened();
        Receive(PppCode.TerminateRequest, 80);
        Assert.Equal(PppState.Stopping, _layer.State);
        AssertSent(PppCode.TerminateAck, 80);
        Assert.Equal(["tld"], _layer.Actions);
        Elapse(3);
        Assert.Equal(PppState.Stopped, _layer.State);
        Assert.Equal(["tld", "tlf"], _layer.Actions);
        Assert.Single(_sent);
        Assert.Equal("peer sent TEST Terminate-Request", _layer.Reason);
    }

    [Fact]
    public void TerminateRequestDuringNegotiationRestartsIt()
    {
        ToRequestSent();
        Receive(PppCode.ConfigureAck, 1, "010301");
        Receive(PppCode.TerminateRequest, 81);
        Assert.Equal(PppState.RequestSent, _layer.State);
        AssertSent(PppCode.TerminateAck, 81);
    }

    [Fact]
    public void CloseWhileOpenedTerminatesAndFinishesOnAck()
    {
        ToOpened();
        _layer.Close(_now, "admin");
        Assert.Equal(PppState.Closing, _layer.State);
        Assert.Equal(["tld"], _layer.Actions);
        AssertSent(PppCode.TerminateRequest, 2);
        Receive(PppCode.TerminateAck, 2);
        Assert.Equal(PppState.Closed, _layer.State);
        Assert.Equal(["tld", "tlf"], _layer.Actions);
        Assert.Equal("admin", _layer.Reason);
    }

    [Fact]
    public void ClosingRetransmitsTerminateRequestMaxTerminateTimes()
    {
        ToOpened();
        _layer.Close(_now, "admin");
        Elapse(3);
        Assert.Equal(2, _sent.Count);
        AssertSent(PppCode.TerminateRequest, 2);
        Elapse(3);
        Assert.Equal(2, _sent.Count);
        Assert.Equal(PppState.Closed, _layer.State);
        Assert.Equal(["tld", "tlf"], _layer.Actions);
    }

    [Fact]
    public void CloseAndOpenWhileTerminating()
    {
        ToOpened();
        _layer.Close(_now, "admin");
        _layer.Open(_now);
        Assert.Equal(PppState.Stopping, _layer.State);
        _layer.Close(_now, "admin");
        Assert.Equal(PppState.Closing, _layer.State);
        _layer.Down(_now, "lower");
        Assert.Equal(PppState.Initial, _layer.State);
    }

    [Fact]
    public void NewRequestWhileOpenedRenegotiates()
    {
        ToOpened();
        Receive(PppCode.ConfigureRequest, 90, "010305");
        Assert.Equal(PppState.RequestSent, _layer.State);
        Assert.Equal(["tld"], _layer.Actions);
        Assert.Equal(Packet(PppCode.ConfigureRequest, 2, "010301"), _sent[0]);
        Assert.Equal(Packet(PppCode.ConfigureNak, 90, "010307"), _sent[1]);

        ToOpenedAgain();
        Receive(PppCode.ConfigureRequest, 92, "010307");
        // Same options as acknowledged: re-acknowledged, nothing renegotiated.
        Assert.Equal(PppState.Opened, _layer.State);
        AssertSent(PppCode.ConfigureAck, 92, "010307");
        Assert.Empty(_layer.Actions);
    }

    private void ToOpenedAgain()
    {
        Receive(PppCode.ConfigureRequest, 91, "010307");
        Receive(PppCode.ConfigureAck, 2, "010301");
        Assert.Equal(PppState.Opened, _layer.State);
        _layer.Actions.Clear();
        _sent.Clear();
    }

    [Fact]
    public void TerminateAckWhileOpenedRenegotiates()
    {
        ToOpened();
        Receive(PppCode.TerminateAck, 5);
        Assert.Equal(PppState.RequestSent, _layer.State);
        Assert.Equal(["tld"], _layer.Actions);
        AssertSent(PppCode.ConfigureRequest, 2, "010301");
    }

    [Fact]
    public void UnknownCodeIsCodeRejected()
    {
        ToOpened();
        byte[] odd = Packet((PppCode)99, 7, "aabb");
        _layer.Receive(_now, odd);
        AssertSent(PppCode.CodeReject, 2, Convert.ToHexString(odd));
        Assert.Equal(PppState.Opened, _layer.State);
    }

    [Fact]
    public void CodeRejectOfACoreCodeIsCatastrophic()
    {
        ToOpened();
        Receive(PppCode.CodeReject, 3, Convert.ToHexString(Packet(PppCode.ConfigureRequest, 1, "010301")));
        Assert.Equal(PppState.Stopping, _layer.State);
        Assert.Equal(["tld"], _layer.Actions);
        AssertSent(PppCode.TerminateRequest, 2);

        // In a negotiating state RXJ- finishes at once (tlf/3).
        var other = new PppAutomatonTests();
        other.ToRequestSent();
        other.Receive(PppCode.CodeReject, 3, Convert.ToHexString(Packet(PppCode.ConfigureRequest, 1, "010301")));
        Assert.Equal(PppState.Stopped, other._layer.State);
        Assert.Equal(["tlf"], other._layer.Actions);
    }

    [Fact]
    public void PermittedRejectMovesOnlyAckReceived()
    {
        ToRequestSent();
        Receive(PppCode.ConfigureAck, 1, "010301");
        Receive(PppCode.CodeReject, 3, Convert.ToHexString(Packet(PppCode.EchoRequest, 1, "00000000")));
        Assert.Equal(PppState.RequestSent, _layer.State);
        _layer.PermittedReject();
        Assert.Equal(PppState.RequestSent, _layer.State);
    }

    [Fact]
    public void ProtocolRejectOfTheLayerFinishesIt()
    {
        ToOpened();
        _layer.ProtocolRejected(_now);
        Assert.Equal(PppState.Stopping, _layer.State);
        Assert.Equal(["tld"], _layer.Actions);
        AssertSent(PppCode.TerminateRequest, 2);
        Assert.Equal("peer rejected TEST (Protocol-Reject)", _layer.Reason);
    }

    [Fact]
    public void NaksBecomeRejectsAfterMaxFailure()
    {
        ToRequestSent();
        for (byte id = 1; id <= 5; id++)
        {
            Receive(PppCode.ConfigureRequest, id, "010305");
            AssertSent(PppCode.ConfigureNak, id, "010307");
        }
        Receive(PppCode.ConfigureRequest, 6, "010305");
        AssertSent(PppCode.ConfigureReject, 6, "010305");
    }

    [Fact]
    public void RetransmittedRequestsDoNotCountTowardMaxFailure()
    {
        ToRequestSent();
        for (int i = 0; i < 8; i++)
        {
            Receive(PppCode.ConfigureRequest, 40, "010305");
            AssertSent(PppCode.ConfigureNak, 40, "010307");
        }
    }

    [Fact]
    public void DownWhileOpenedTakesTheLayerDown()
    {
        ToOpened();
        _layer.Down(_now, "lower layer gone");
        Assert.Equal(PppState.Starting, _layer.State);
        Assert.Equal(["tld"], _layer.Actions);
        Assert.Equal("lower layer gone", _layer.Reason);
        Assert.Empty(_sent);
        _layer.Close(_now, "and closed");
        Assert.Equal(PppState.Initial, _layer.State);
        Assert.Equal(["tld", "tlf"], _layer.Actions);
    }

    [Fact]
    public void PacketsBeforeUpAreDiscarded()
    {
        Receive(PppCode.ConfigureRequest, 1, "010307");
        _layer.Open(_now);
        Receive(PppCode.ConfigureRequest, 1, "010307");
        Assert.Empty(_sent);
        Assert.Equal(PppState.Starting, _layer.State);
    }

    [Fact]
    public void MalformedPacketsAreDropped()
    {
        ToRequestSent();
        _layer.Receive(_now, [1, 2, 0]);
        _layer.Receive(_now, [1, 2, 0, 9]);
        _layer.Receive(_now, Convert.FromHexString("0102000701"));
        Receive(PppCode.ConfigureRequest, 3, "0105");
        Assert.Single(_sent);
        Assert.Equal(PppState.RequestSent, _layer.State);
    }
}
