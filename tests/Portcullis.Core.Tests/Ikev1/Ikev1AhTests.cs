using System.Reflection;
using Portcullis.Core.Config;
using Portcullis.Core.Crypto;
using Portcullis.Core.Crypto.Kdf;
using Portcullis.Core.Crypto.Registry;
using Portcullis.Core.Ikev1;
using Portcullis.Core.Ikev1.Wire;
using Portcullis.Core.Ikev2;
using Portcullis.Core.Ipsec;
using Portcullis.Core.Tests.Ikev2;
using static Portcullis.Core.Tests.Ikev2.EnginePair;
using ProtocolId = Portcullis.Core.Ikev2.Wire.ProtocolId;

namespace Portcullis.Core.Tests.Ikev1;

/// <summary>
/// AH in Quick Mode (PROTO_IPSEC_AH, RFC 2407 §4.4.1 and §4.4.3): proposals with AH transform IDs and the
/// Authentication Algorithm attribute, KEYMAT for protocol AH (RFC 2409 §5.5), rekey and DELETE with protocol AH, and
/// no AH across a NAT.
/// </summary>
public class Ikev1AhTests
{
    private static readonly TrafficSelector LeftHost = Ts("192.0.2.1/32"), RightHost = Ts("192.0.2.2/32");

    private static EnginePair Pair(string leftAh, string rightAh, ChildMode mode = ChildMode.Tunnel) =>
        Ikev1Pair.Create(
            Ikev1Pair.Connection(left: true, ah: leftAh, mode: mode, localTs: mode == ChildMode.Transport ? [LeftHost] : null, remoteTs: mode == ChildMode.Transport ? [RightHost] : null),
            Ikev1Pair.Connection(left: false, ah: rightAh, mode: mode, localTs: mode == ChildMode.Transport ? [RightHost] : null, remoteTs: mode == ChildMode.Transport ? [LeftHost] : null));

    private static IsakmpSa Sa(IkeEngine e) => Assert.Single(e.Ikev1.Sas);

    private static ChildSa Child(IkeEngine e) => Assert.Single(Sa(e).Children, c => c.State == ChildSaState.Installed && c.ReplacedBy is null);

    private static T Field<T>(IsakmpSa sa, string name) =>
        (T)typeof(IsakmpSa).GetField(name, BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(sa)!;

    /// <summary>Sends the peer a protected Informational from <paramref name="sa"/>, as its engine would.</summary>
    private static void SendInformational(EnginePair pair, IsakmpSa sa, IsakmpPayload payload)
    {
        typeof(IsakmpSa).GetMethod("SendInformational", BindingFlags.NonPublic | BindingFlags.Instance)!.Invoke(sa, [pair.Now, new List<IsakmpPayload> { payload }]);
        pair.Drive(TimeSpan.Zero);
    }

    private static void AssertKeysPair(ChildSa l, ChildSa r)
    {
        Assert.Equal(0, l.OutboundEncryptionKey.Length);
        Assert.Equal(0, r.InboundEncryptionKey.Length);
        Assert.Equal(l.Proposal.Integrity!.KeySize, l.OutboundIntegrityKey.Length);
        Assert.Equal(l.OutboundIntegrityKey.ReadOnlySpan.ToArray(), r.InboundIntegrityKey.ReadOnlySpan.ToArray());
        Assert.Equal(r.OutboundIntegrityKey.ReadOnlySpan.ToArray(), l.InboundIntegrityKey.ReadOnlySpan.ToArray());
        Assert.NotEqual(l.OutboundIntegrityKey.ReadOnlySpan.ToArray(), l.InboundIntegrityKey.ReadOnlySpan.ToArray());
    }

    [Theory]
    [InlineData("sha256", "sha256", "sha256", ChildMode.Tunnel)]
    [InlineData("sha256", "sha256", "sha256", ChildMode.Transport)]
    [InlineData("sha1,sha512", "sha512", "sha512", ChildMode.Tunnel)]
    [InlineData("md5-sha384", "sha384", "sha384", ChildMode.Transport)]
    [InlineData("aesxcbc", "sha384,aesxcbc", "aesxcbc", ChildMode.Tunnel)]
    [InlineData("aes128gmac", "aes128gmac", "aes128gmacauth", ChildMode.Tunnel)]
    [InlineData("sha256-esn", "sha256-esn-noesn", "sha256-esn", ChildMode.Tunnel)]
    [InlineData("sha256-esn", "sha256-esn", "sha256-esn", ChildMode.Transport)]
    [InlineData("sha256-modp2048", "sha256-modp2048", "sha256-modp2048", ChildMode.Tunnel)]
    public void An_AH_SA_is_negotiated_in_Quick_Mode(string leftAh, string rightAh, string expected, ChildMode mode)
    {
        EnginePair pair = Pair(leftAh, rightAh, mode);
        pair.Establish();
        ChildSa l = Assert.Single(pair.Events<ChildSaInstalled>(Side.Left)).ChildSa;
        ChildSa r = Assert.Single(pair.Events<ChildSaInstalled>(Side.Right)).ChildSa;
        Assert.True(l.IsAh && r.IsAh, pair.Dump());
        Assert.Equal(ProtocolId.Ah, r.Protocol);
        Assert.Null(l.Proposal.Encryption);
        Assert.Equal(expected, l.Proposal.ToString());
        Assert.Equal(expected, r.Proposal.ToString());
        Assert.Equal(expected.EndsWith("-esn", StringComparison.Ordinal), l.Proposal.ExtendedSequenceNumbers);
        Assert.Equal(expected.EndsWith("-esn", StringComparison.Ordinal), r.Proposal.ExtendedSequenceNumbers);
        Assert.Equal(mode, l.Mode);
        Assert.Equal(mode, r.Mode);
        Assert.Equal(r.InboundSpi, l.OutboundSpi);
        Assert.Equal(l.InboundSpi, r.OutboundSpi);
        AssertKeysPair(l, r);
        Assert.True(pair.LeftLog.Has($"AH {mode.ToString().ToLowerInvariant()} mode"), pair.Dump());
        Assert.Empty(pair.LeftLog.Warnings);
        Assert.Empty(pair.RightLog.Warnings);
    }

    [Fact]
    public void The_keys_are_KEYMAT_for_protocol_AH_and_the_SAs_own_SPI()
    {
        EnginePair pair = Pair("sha256", "sha256");
        pair.Establish();
        ChildSa l = Child(pair.Left);
        IsakmpSa sa = Sa(pair.Left);
        PrfTransform prf = Field<Phase1Choice>(sa, "_choice").Prf;
        ReadOnlySpan<byte> skeyIdD = Field<Ikev1SaKeys>(sa, "_keys").SkeyIdD.ReadOnlySpan;
        int size = l.Proposal.Integrity!.KeySize;
        using SecretBuffer inbound = Ikev1KeyDerivation.QuickModeKeyMaterial(prf, skeyIdD, default, (byte)IsakmpProtocolId.IpsecAh, l.InboundSpi, l.NonceI, l.NonceR, size);
        using SecretBuffer outbound = Ikev1KeyDerivation.QuickModeKeyMaterial(prf, skeyIdD, default, (byte)IsakmpProtocolId.IpsecAh, l.OutboundSpi, l.NonceI, l.NonceR, size);
        Assert.Equal(inbound.ReadOnlySpan.ToArray(), l.InboundIntegrityKey.ReadOnlySpan.ToArray());
        Assert.Equal(outbound.ReadOnlySpan.ToArray(), l.OutboundIntegrityKey.ReadOnlySpan.ToArray());
        // Not ESP's: the protocol byte is in the PRF input.
        using SecretBuffer asEsp = Ikev1KeyDerivation.QuickModeKeyMaterial(prf, skeyIdD, default, (byte)IsakmpProtocolId.IpsecEsp, l.InboundSpi, l.NonceI, l.NonceR, size);
        Assert.NotEqual(asEsp.ReadOnlySpan.ToArray(), l.InboundIntegrityKey.ReadOnlySpan.ToArray());
    }

    [Fact]
    public void AH_on_one_side_and_ESP_on_the_other_fails_Quick_Mode()
    {
        EnginePair pair = Ikev1Pair.Create(Ikev1Pair.Connection(left: true, ah: "sha256"), Ikev1Pair.Connection(left: false, esp: "aes128-sha256"));
        pair.Establish();
        Assert.Empty(pair.Events<ChildSaInstalled>(Side.Right));
        Assert.Empty(pair.Events<ChildSaInstalled>(Side.Left));
        Assert.Contains(pair.RightLog.Warnings, w => w.Contains("no proposal chosen") && w.Contains("AH sha256"));
        Assert.Contains(pair.Events<ChildSaFailed>(Side.Left), f => f.Reason.Contains("NO-PROPOSAL-CHOSEN", StringComparison.Ordinal));
    }

    [Fact]
    public void An_AH_SA_is_rekeyed_and_deleted_with_protocol_AH()
    {
        EnginePair pair = Pair("sha256-esn", "sha256-esn");
        pair.Establish(horizon: TimeSpan.FromSeconds(30));
        IsakmpSa left = Sa(pair.Left);
        ChildSa l0 = Child(pair.Left), r0 = Child(pair.Right);
        left.RekeyChild(pair.Now, l0, "test");
        pair.Pump();
        ChildSa l1 = pair.Events<ChildSaInstalled>(Side.Left).Last().ChildSa, r1 = pair.Events<ChildSaInstalled>(Side.Right).Last().ChildSa;
        Assert.Same(l0, l1.Replaces);
        Assert.Same(r0, r1.Replaces);
        Assert.True(l1.IsAh && r1.IsAh);
        Assert.True(l1.Proposal.ExtendedSequenceNumbers);
        AssertKeysPair(l1, r1);
        // The peer sends on the new SA: the old one goes, and the peer finds it by the DELETE's protocol AH.
        pair.Left.ChildSaInboundUsed(pair.Now, l1.InboundSpi);
        pair.Pump();
        Assert.Equal(ChildSaState.Deleted, l0.State);
        Assert.Equal(ChildSaState.Deleted, r0.State);
        Assert.True(r0.Superseded);

        ((IsakmpSa)r1.Owner).DeleteChild(pair.Now, r1, "test");
        pair.Drive(TimeSpan.Zero);
        Assert.Equal(ChildSaState.Deleted, l1.State);
        Assert.True(l1.ClosedByPeer);
        Assert.Single(pair.Left.Ikev1.Sas);
        Assert.Empty(pair.LeftLog.Warnings);
        Assert.Empty(pair.RightLog.Warnings);
    }

    [Fact]
    public void A_DELETE_naming_ESP_does_not_remove_an_AH_SA_with_that_SPI()
    {
        EnginePair pair = Pair("sha256", "sha256");
        pair.Establish();
        ChildSa l = Child(pair.Left), r = Child(pair.Right);
        // ESP and AH SPIs are separate spaces: right has no ESP SA with left's AH SPI and removes nothing.
        SendInformational(pair, Sa(pair.Left), DeletePayload.ForEsp([l.InboundSpi]));
        Assert.Equal(ChildSaState.Installed, r.State);
        SendInformational(pair, Sa(pair.Left), DeletePayload.ForIpsec(IsakmpProtocolId.IpsecAh, [l.InboundSpi]));
        Assert.Equal(ChildSaState.Deleted, r.State);
    }

    [Fact]
    public void The_initiator_does_not_propose_AH_across_a_NAT()
    {
        EnginePair pair = Pair("sha256", "sha256");
        pair.NatLeft = true;
        pair.Establish(horizon: TimeSpan.Zero);
        Assert.Single(pair.Left.Ikev1.Sas, s => s.State == IsakmpSaState.Established);
        Assert.Empty(pair.Events<ChildSaInstalled>(Side.Left));
        Assert.Empty(pair.Events<ChildSaInstalled>(Side.Right));
        ChildSaFailed failed = Assert.Single(pair.Events<ChildSaFailed>(Side.Left));
        Assert.Contains("AH cannot cross a NAT (we are behind a NAT)", failed.Reason);
        Assert.True(pair.LeftLog.Has("not proposing CHILD_SA net: its ah_proposals ask for AH, which cannot cross a NAT"), pair.Dump());
        // No Quick Mode started.
        Assert.DoesNotContain(pair.Sent, p => IsakmpHeader.TryParse(p.Data, out IsakmpHeader h, out _) && h.ExchangeType == IsakmpExchangeType.QuickMode);
    }

    [Fact]
    public void The_responder_refuses_AH_across_a_NAT_with_no_proposal_chosen()
    {
        // Left is behind a NAT and asks for an ESP SA; right's child of those selectors is AH: refused.
        EnginePair pair = Ikev1Pair.Create(Ikev1Pair.Connection(left: true), Ikev1Pair.Connection(left: false, ah: "sha256"));
        pair.NatLeft = true;
        pair.Establish(horizon: TimeSpan.Zero);
        Assert.Single(pair.Right.Ikev1.Sas, s => s.State == IsakmpSaState.Established);
        Assert.Empty(pair.Events<ChildSaInstalled>(Side.Right));
        const string line = "CHILD_SA net asks for AH, which cannot cross a NAT (the peer is behind a NAT); sending NO_PROPOSAL_CHOSEN";
        Assert.True(pair.RightLog.Has(line), pair.Dump());
        Assert.Contains(pair.Events<ChildSaFailed>(Side.Left), f => f.Reason.Contains("NO-PROPOSAL-CHOSEN", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("md5", 2, 1)]
    [InlineData("sha1", 3, 2)]
    [InlineData("sha256", 5, 5)]
    [InlineData("sha384", 6, 6)]
    [InlineData("sha512", 7, 7)]
    [InlineData("aesxcbc", 9, 9)]
    [InlineData("aes128gmac", 11, 11)]
    [InlineData("aes192gmac", 12, 12)]
    [InlineData("aes256gmac", 13, 13)]
    public void The_proposal_is_PROTO_IPSEC_AH_with_the_AH_transform_ID_and_the_Authentication_Algorithm(string keyword, byte transformId, ushort auth)
    {
        List<List<Phase2Choice>> choices = Ikev1Proposals.Phase2([AhProposal(keyword)], ah: true);
        SaPayload sa = Ikev1Proposals.Phase2Sa(choices, [1, 2, 3, 4], EncapsulationMode.Transport, TimeSpan.FromHours(1), 0);
        ProposalPayload p = Assert.Single(sa.Proposals);
        Assert.Equal(IsakmpProtocolId.IpsecAh, p.Protocol);
        TransformPayload t = Assert.Single(p.Transforms);
        Assert.Equal(transformId, t.TransformId);
        Assert.Contains(t.Attributes, a => a.Type == (ushort)IpsecAttributeType.AuthenticationAlgorithm && a.BasicValue == auth);
        Assert.DoesNotContain(t.Attributes, a => a.Type == (ushort)IpsecAttributeType.KeyLength);
        Assert.True(Ikev1Proposals.TryDecodePhase2(t, out Phase2Offer? offer, out string problem, IsakmpProtocolId.IpsecAh), problem);
        Assert.True(offer!.Is(choices[0][0]));
        Assert.Equal(EncapsulationMode.Transport, offer.Mode);
        // Without the attribute the transform ID alone names the algorithm.
        var bare = new TransformPayload(1, transformId, [.. t.Attributes.Where(a => a.Type != (ushort)IpsecAttributeType.AuthenticationAlgorithm)]);
        Assert.True(Ikev1Proposals.TryDecodePhase2(bare, out Phase2Offer? fromId, out problem, IsakmpProtocolId.IpsecAh), problem);
        Assert.Same(offer.Integrity, fromId!.Integrity);
    }

    [Theory]
    [InlineData(5, (ushort)2, "AH transform 5 with Authentication Algorithm 2")]
    [InlineData(8, null, "unknown AH transform 8")]
    [InlineData(4, null, "unknown AH transform 4")]
    public void AH_transforms_that_disagree_or_are_unknown_are_not_taken(byte transformId, ushort? auth, string problem)
    {
        List<DataAttribute> attributes = [DataAttribute.Basic((ushort)IpsecAttributeType.EncapsulationMode, (ushort)EncapsulationMode.Tunnel)];
        if (auth is { } a) attributes.Add(DataAttribute.Basic((ushort)IpsecAttributeType.AuthenticationAlgorithm, a));
        Assert.False(Ikev1Proposals.TryDecodePhase2(new TransformPayload(1, transformId, attributes), out _, out string why, IsakmpProtocolId.IpsecAh));
        Assert.Equal(problem, why);
    }

    [Fact]
    public void The_responder_takes_only_AH_proposals_for_an_AH_child_and_only_ESP_for_an_ESP_one()
    {
        List<List<Phase2Choice>> ah = Ikev1Proposals.Phase2([AhProposal("sha256")], ah: true);
        List<List<Phase2Choice>> esp = Ikev1Proposals.Phase2([P("aes128-sha256", ike: false)]);
        SaPayload ahOffer = Ikev1Proposals.Phase2Sa(ah, [1, 2, 3, 4], EncapsulationMode.Tunnel, TimeSpan.Zero, 0);
        SaPayload espOffer = Ikev1Proposals.Phase2Sa(esp, [1, 2, 3, 4], EncapsulationMode.Tunnel, TimeSpan.Zero, 0);
        Assert.NotNull(Ikev1Proposals.SelectPhase2(ah, ahOffer, ChildMode.Tunnel));
        Assert.Null(Ikev1Proposals.SelectPhase2(ah, espOffer, ChildMode.Tunnel));
        Assert.Null(Ikev1Proposals.SelectPhase2(esp, ahOffer, ChildMode.Tunnel));
        Assert.Null(Ikev1Proposals.SelectPhase2(ah, ahOffer, ChildMode.Transport));
        Assert.Equal(IsakmpProtocolId.IpsecAh, Ikev1Proposals.SelectPhase2(ah, ahOffer, ChildMode.Tunnel)!.Choice.Protocol);
        // AES-CMAC has no AH transform ID: nothing to propose with IKEv1.
        Assert.Empty(Ikev1Proposals.Phase2([AhProposal("aescmac")], ah: true));
    }
}
