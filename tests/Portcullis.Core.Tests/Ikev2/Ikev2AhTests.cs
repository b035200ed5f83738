using System.Reflection;
using Portcullis.Core.Crypto;
using Portcullis.Core.Ikev2;
using Portcullis.Core.Ikev2.Wire;
using static Portcullis.Core.Tests.Ikev2.EnginePair;

namespace Portcullis.Core.Tests.Ikev2;

/// <summary>AH CHILD SAs (RFC 4302) negotiated with protocol ID 2 (RFC 7296 §3.3.1): created, rekeyed, deleted, refused across a NAT.</summary>
public class Ikev2AhTests
{
    private static EnginePair Pair(string leftAh, string rightAh) =>
        new(MakeConfig(Connection(left: true, ah: leftAh)), MakeConfig(Connection(left: false, ah: rightAh)));

    private static IkeSa Ike(IkeEngine e) => Assert.Single(e.IkeSas, s => s.State == IkeSaState.Established && s.RekeyedTo is null);

    private static ChildSa Child(IkeEngine e) => Assert.Single(Ike(e).Children, c => c.State == ChildSaState.Installed && c.ReplacedBy is null);

    /// <summary>A message after IKE_SA_INIT, decrypted with the receiving IKE SA's keys.</summary>
    private static IkeMessage Decode(EnginePair pair, Packet p)
    {
        Assert.True(IkeHeader.TryParse(p.Data, out IkeHeader h, out _));
        IkeSa receiver = Assert.Single((p.From == Side.Left ? pair.Right : pair.Left).IkeSas, s => s.InitiatorSpi == h.InitiatorSpi);
        Assert.Equal(MessageError.None, IkeMessage.TryDecode(p.Data, h, receiver.Protection, out IkeMessage? m, out _, out _));
        return m!;
    }

    private static uint ExpectedRequestId(IkeSa sa) =>
        (uint)typeof(IkeSa).GetField("_expectedRequestId", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(sa)!;

    /// <summary>Sends right a request from left's IKE SA under its keys, as left's engine would.</summary>
    private static void Inject(EnginePair pair, ExchangeType exchange, IReadOnlyList<Payload> payloads)
    {
        IkeSa li = Ike(pair.Left), ri = Ike(pair.Right);
        byte[] datagram = new IkeMessage(new IkeHeader(li.InitiatorSpi, li.ResponderSpi, PayloadType.None, IkeHeader.Ikev2Version, exchange,
            IkeHeaderFlags.Initiator, ExpectedRequestId(ri), 0), payloads).Encode(li.Protection);
        pair.Inject(new Packet(Side.Left, li.LocalEndpoint, li.RemoteEndpoint, datagram, li.LocalEndpoint.Port == 4500));
        pair.Drive(TimeSpan.Zero);
    }

    /// <summary>The SA payloads of every message (decoded with the pair's keys) carry only AH proposals.</summary>
    private static void AssertOnlyAhProposals(EnginePair pair)
    {
        foreach (Packet p in pair.Sent)
        {
            if (p.Header is not { } h || h.ExchangeType == ExchangeType.IkeSaInit) continue;
            foreach (SaPayload sa in Decode(pair, p).Payloads.OfType<SaPayload>())
                Assert.All(sa.Proposals, wp => Assert.True(wp.Protocol is ProtocolId.Ah or ProtocolId.Ike, $"{wp.Protocol}"));
        }
    }

    [Theory]
    [InlineData("sha256", "sha256", "sha256")]
    [InlineData("sha1,sha512", "sha512", "sha512")]
    [InlineData("aesxcbc", "sha384,aesxcbc", "aesxcbc")]
    [InlineData("aes128gmac", "aes128gmac", "aes128gmacauth")]
    [InlineData("sha256-esn", "sha256-esn-noesn", "sha256-esn")]
    public void An_AH_child_is_negotiated_in_ike_auth(string leftAh, string rightAh, string expected)
    {
        EnginePair pair = Pair(leftAh, rightAh);
        pair.Establish();
        (ChildSa l, ChildSa r) = Ikev2EstablishTests.AssertChildPair(pair);
        Assert.True(l.IsAh && r.IsAh);
        Assert.Equal(ProtocolId.Ah, l.Protocol);
        Assert.Null(l.Proposal.Encryption);
        Assert.Equal(expected, l.Proposal.ToString());
        Assert.Equal(expected.EndsWith("-esn", StringComparison.Ordinal), l.Proposal.ExtendedSequenceNumbers);
        Assert.Equal(0, l.OutboundEncryptionKey.Length);
        Assert.Equal(l.Proposal.Integrity!.KeySize, l.OutboundIntegrityKey.Length);
        Assert.True(pair.LeftLog.Has("AH"), pair.Dump());
        AssertOnlyAhProposals(pair);
    }

    [Fact]
    public void Ah_on_one_side_and_esp_on_the_other_fails_the_child()
    {
        var pair = new EnginePair(MakeConfig(Connection(left: true, ah: "sha256")), MakeConfig(Connection(left: false)));
        pair.Establish();
        Assert.Single(pair.Events<IkeSaEstablished>(Side.Left));
        Assert.Empty(pair.Events<ChildSaInstalled>(Side.Right));
        Assert.True(pair.RightLog.Has("NO_PROPOSAL_CHOSEN") || pair.RightLog.Has("no match"), pair.Dump());
    }

    [Fact]
    public void An_AH_child_is_rekeyed_and_deleted_with_protocol_AH()
    {
        EnginePair pair = Pair("sha256", "sha256");
        pair.Establish();
        ChildSa l0 = Child(pair.Left), r0 = Child(pair.Right);
        Ike(pair.Left).RekeyChild(pair.Now, l0);
        pair.Drive();
        ChildSa l1 = Child(pair.Left), r1 = Child(pair.Right);
        Assert.Same(l0, l1.Replaces);
        Assert.True(l1.IsAh && r1.IsAh);
        Assert.Equal(ChildSaState.Deleted, l0.State);
        Assert.Equal(ChildSaState.Deleted, r0.State);
        // The REKEY_SA notify and the DELETE named AH (the SPIs of AH and ESP are separate spaces).
        var payloads = pair.Sent.Where(p => p.Header is { ExchangeType: ExchangeType.CreateChildSa or ExchangeType.Informational })
            .SelectMany(p => Decode(pair, p).Payloads).ToList();
        Assert.Contains(payloads.OfType<NotifyPayload>(), n => n.NotifyType == NotifyType.RekeySa && n.Protocol == ProtocolId.Ah);
        Assert.Contains(payloads.OfType<DeletePayload>(), d => d.Protocol == ProtocolId.Ah && d.Spis.Contains(l0.InboundSpi));
        AssertOnlyAhProposals(pair);

        Ike(pair.Right).DeleteChild(pair.Now, r1, "test");
        pair.Drive();
        Assert.Equal(ChildSaState.Deleted, l1.State);
        Assert.Equal(ChildSaState.Deleted, r1.State);
    }

    [Fact]
    public void A_delete_naming_ESP_does_not_remove_an_AH_child_with_that_spi()
    {
        EnginePair pair = Pair("sha256", "sha256");
        pair.Establish();
        ChildSa l = Child(pair.Left), r = Child(pair.Right);
        // Left's request names its AH SA's SPI under protocol ESP: right has no such ESP SA and removes nothing.
        Inject(pair, ExchangeType.Informational, [new DeletePayload(ProtocolId.Esp, [l.InboundSpi])]);
        Assert.Equal(ChildSaState.Installed, r.State);
        Inject(pair, ExchangeType.Informational, [new DeletePayload(ProtocolId.Ah, [l.InboundSpi])]);
        Assert.Equal(ChildSaState.Deleted, r.State);
    }

    [Fact]
    public void The_initiator_does_not_propose_AH_across_a_NAT()
    {
        EnginePair pair = Pair("sha256", "sha256");
        pair.NatLeft = true;
        pair.Establish(horizon: TimeSpan.Zero);
        Assert.Single(pair.Events<IkeSaEstablished>(Side.Left));
        Assert.Empty(pair.Events<ChildSaInstalled>(Side.Left));
        Assert.Empty(pair.Events<ChildSaInstalled>(Side.Right));
        ChildSaFailed failed = Assert.Single(pair.Events<ChildSaFailed>(Side.Left));
        Assert.Contains("AH cannot cross a NAT (we are behind a NAT)", failed.Reason);
        Assert.True(pair.LeftLog.Has("not proposing CHILD_SA net: its ah_proposals ask for AH, which cannot cross a NAT"), pair.Dump());
        // No SA payload went out in IKE_AUTH at all.
        Assert.DoesNotContain(pair.Sent.Where(p => p.Header is { ExchangeType: ExchangeType.IkeAuth }), p => Decode(pair, p).Payloads.OfType<SaPayload>().Any());
    }

    [Fact]
    public void The_responder_refuses_AH_across_a_NAT_with_no_proposal_chosen()
    {
        // Left is behind a NAT and asks for an ESP child; right's child of those selectors is AH: refused in IKE_AUTH.
        var pair = new EnginePair(MakeConfig(Connection(left: true)), MakeConfig(Connection(left: false, ah: "sha256")));
        pair.NatLeft = true;
        pair.Establish(horizon: TimeSpan.Zero);
        Assert.Single(pair.Events<IkeSaEstablished>(Side.Right));
        Assert.Empty(pair.Events<ChildSaInstalled>(Side.Right));
        const string line = "CHILD_SA net asks for AH, which cannot cross a NAT (the peer is behind a NAT); sending NO_PROPOSAL_CHOSEN";
        Assert.True(pair.RightLog.Has(line), pair.Dump());
        Assert.Contains(pair.Events<ChildSaFailed>(Side.Left), f => f.Reason.Contains("NO_PROPOSAL_CHOSEN", StringComparison.Ordinal));

        // An AH proposal in CREATE_CHILD_SA (which left's own engine would not send) is refused the same way.
        int sent = pair.Sent.Count;
        Inject(pair, ExchangeType.CreateChildSa,
        [
            new SaPayload([new WireProposal(1, ProtocolId.Ah, [0x11, 0x22, 0x33, 0x44], [new WireTransform(TransformType.Integrity, 12), new WireTransform(TransformType.ExtendedSequenceNumbers, 0)])]),
            new NoncePayload(new byte[32]),
            new TsPayload(PayloadType.TrafficSelectorInitiator, [LeftNet]),
            new TsPayload(PayloadType.TrafficSelectorResponder, [RightNet]),
        ]);
        Packet response = pair.Sent.Skip(sent).Single(p => p.From == Side.Right);
        Assert.Contains(Decode(pair, response).Payloads.OfType<NotifyPayload>(), n => n.NotifyType == NotifyType.NoProposalChosen);
        Assert.Empty(pair.Events<ChildSaInstalled>(Side.Right));
    }
}
