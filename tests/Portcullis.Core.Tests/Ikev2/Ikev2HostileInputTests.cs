using System.Reflection;
using Portcullis.Core.Ikev2;
using Portcullis.Core.Ikev2.Wire;
using static Portcullis.Core.Tests.Ikev2.EnginePair;
using static Portcullis.Core.Tests.Ikev2.Ikev2EstablishTests;

namespace Portcullis.Core.Tests.Ikev2;

/// <summary>
/// Issue 9's properties, tested directly: a peer without the IKE SA's keys cannot delete, rekey or alter any SA
/// (INFORMATIONAL and CREATE_CHILD_SA are accepted only under the SA's keys), and a retransmitted request gets the
/// cached response without a second state change. Each forged case has a genuine twin that does change state, so
/// the "nothing changed" assertions can fail.
/// </summary>
public class Ikev2HostileInputTests
{
    private static string Snapshot(IkeEngine engine) => string.Join("\n", engine.IkeSas
        .Select(s => $"{s.InitiatorSpi:x16}/{s.ResponderSpi:x16} {s.State} [{string.Join(",", s.Children.Select(c => $"{c.InboundSpi:x8}/{c.OutboundSpi:x8}:{c.State}"))}]")
        .Order(StringComparer.Ordinal));

    private static uint ExpectedRequestId(IkeSa sa) =>
        (uint)typeof(IkeSa).GetField("_expectedRequestId", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(sa)!;

    private static (EnginePair Pair, IkeSa Left, IkeSa Right, ChildSa LeftChild) Established()
    {
        var pair = Create();
        pair.Establish();
        (IkeSa li, IkeSa ri) = AssertIkePair(pair);
        (ChildSa lc, _) = AssertChildPair(pair);
        return (pair, li, ri, lc);
    }

    /// <summary>An established SA of another pair: the same algorithms, different keys (what an attacker can have).</summary>
    private static EncryptedPayload WrongKeys()
    {
        var other = Create();
        other.Establish();
        return other.Left.IkeSas.Single().Protection!;
    }

    private static byte[] Request(IkeSa from, ExchangeType exchange, uint messageId, IReadOnlyList<Payload> payloads, EncryptedPayload? keys) =>
        new IkeMessage(new IkeHeader(from.InitiatorSpi, from.ResponderSpi, PayloadType.None, IkeHeader.Ikev2Version, exchange,
            IkeHeaderFlags.Initiator, messageId, 0), payloads).Encode(keys);

    private static void Inject(EnginePair pair, IkeSa from, byte[] datagram)
    {
        pair.Inject(new Packet(Side.Left, from.LocalEndpoint, from.RemoteEndpoint, datagram, false));
        pair.Drive(TimeSpan.Zero);
    }

    public static TheoryData<string> Deletes => ["child", "ike"];

    private static Payload[] DeletePayloads(string what, ChildSa leftChild) =>
        what == "ike" ? [new DeletePayload(ProtocolId.Ike, [])] : [new DeletePayload(ProtocolId.Esp, [leftChild.InboundSpi])];

    [Theory]
    [MemberData(nameof(Deletes))]
    public void A_delete_under_another_sas_keys_changes_nothing(string what)
    {
        (EnginePair pair, IkeSa li, IkeSa ri, ChildSa lc) = Established();
        EncryptedPayload wrongKeys = WrongKeys();
        string before = Snapshot(pair.Right);
        int events = pair.RightEvents.Count, sent = pair.Sent.Count;

        Inject(pair, li, Request(li, ExchangeType.Informational, ExpectedRequestId(ri), DeletePayloads(what, lc), wrongKeys));

        Assert.Equal(before, Snapshot(pair.Right));
        Assert.Equal(events, pair.RightEvents.Count);
        Assert.Equal(sent, pair.Sent.Count); // not even an answer
        Assert.True(pair.RightLog.Has("Integrity Checksum Data") || pair.RightLog.Has("integrity"), pair.Dump());

        // The genuine twin, same message ID, under the SA's own keys, is honoured: the assertions above can fail.
        Inject(pair, li, Request(li, ExchangeType.Informational, ExpectedRequestId(ri), DeletePayloads(what, lc), li.Protection));
        Assert.NotEqual(before, Snapshot(pair.Right));
    }

    [Theory]
    [MemberData(nameof(Deletes))]
    public void A_cleartext_informational_with_a_delete_changes_nothing(string what)
    {
        (EnginePair pair, IkeSa li, IkeSa ri, ChildSa lc) = Established();
        string before = Snapshot(pair.Right);

        Inject(pair, li, Request(li, ExchangeType.Informational, ExpectedRequestId(ri), DeletePayloads(what, lc), keys: null));

        Assert.Equal(before, Snapshot(pair.Right));
        Assert.Equal(IkeSaState.Established, ri.State);
    }

    [Fact]
    public void A_rekey_request_replayed_under_another_sas_keys_changes_nothing_but_the_genuine_one_rekeys()
    {
        (EnginePair pair, IkeSa li, IkeSa ri, ChildSa lc) = Established();
        // Left starts a rekey of its CHILD SA; the request is held back, decrypted, and sent under other keys.
        Packet? held = null;
        pair.Intercept = p => { if (held is null && p.From == Side.Left && p.Header?.ExchangeType == ExchangeType.CreateChildSa) { held = p; return []; } return [p]; };
        pair.Left.ChildSaLimitReached(pair.Now, lc.InboundSpi, hard: false);
        pair.Drive(TimeSpan.Zero);
        pair.Intercept = null;
        Assert.NotNull(held);
        Assert.True(IkeHeader.TryParse(held!.Data, out IkeHeader header, out _));
        Assert.Equal(MessageError.None, IkeMessage.TryDecode(held.Data, header, ri.Protection, out IkeMessage? genuine, out _, out _));
        Assert.NotNull(genuine!.Notify(NotifyType.RekeySa));
        string before = Snapshot(pair.Right);

        byte[] forged = new IkeMessage(header with { NextPayload = PayloadType.None, Length = 0 }, genuine.Payloads).Encode(WrongKeys());
        Inject(pair, li, forged);
        Assert.Equal(before, Snapshot(pair.Right));

        pair.Inject(held);
        pair.Drive(TimeSpan.Zero);
        Assert.NotEqual(before, Snapshot(pair.Right));
    }

    [Fact]
    public void A_retransmitted_create_child_sa_request_gets_the_cached_response_and_no_second_child()
    {
        (EnginePair pair, _, IkeSa ri, _) = Established();
        Packet? request = null;
        pair.Intercept = p => { if (request is null && p.From == Side.Left && p.Header?.ExchangeType == ExchangeType.CreateChildSa) request = p; return [p]; };
        Assert.True(pair.Left.Initiate(pair.Now, "net", out _));
        pair.Drive(TimeSpan.Zero);
        pair.Intercept = null;
        Assert.NotNull(request);
        Packet first = Assert.Single(pair.Sent, p => p.From == Side.Right && p.Header is { ExchangeType: ExchangeType.CreateChildSa, IsResponse: true });
        Assert.Equal(2, ri.Children.Count);
        string before = Snapshot(pair.Right);
        int events = pair.RightEvents.Count;

        pair.Inject(request!);
        pair.Drive(TimeSpan.Zero);

        Packet[] responses = [.. pair.Sent.Where(p => p.From == Side.Right && p.Header is { ExchangeType: ExchangeType.CreateChildSa, IsResponse: true })];
        Assert.Equal(2, responses.Length);
        Assert.Equal(first.Data, responses[1].Data); // the cached bytes, not a second answer
        Assert.Equal(before, Snapshot(pair.Right));
        Assert.Equal(events, pair.RightEvents.Count);
        Assert.Equal(2, ri.Children.Count);
    }

    [Fact]
    public void The_keys_of_a_deleted_ike_sa_are_wiped()
    {
        (EnginePair pair, IkeSa li, IkeSa ri, _) = Established();
        EncryptedPayload protection = ri.Protection!;
        pair.Left.TerminateAll(pair.Now, "test");
        pair.Drive();
        Assert.Equal(IkeSaState.Deleted, ri.State);
        Assert.Equal(IkeSaState.Deleted, li.State);
        // A disposed SecretBuffer throws instead of handing out its (zeroed) bytes; the SA's protection is unusable.
        Assert.Throws<ObjectDisposedException>(() => ri.Keys!.SkD.ReadOnlySpan.ToArray());
        Assert.ThrowsAny<Exception>(() => protection.Protect(new IkeHeader(1, 2, PayloadType.None, IkeHeader.Ikev2Version, ExchangeType.Informational, 0, 0, 0), []));
    }
}
