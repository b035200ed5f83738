using System.Net;
using Portcullis.Core.Config;
using Portcullis.Core.Ikev1;
using Portcullis.Core.Ikev1.Wire;
using Portcullis.Core.Ikev2;
using Portcullis.Core.Tests.Ikev2;

namespace Portcullis.Core.Tests.Ikev1;

/// <summary>Two IKEv1 engines back to back with a fake clock: roles, failures, NAT, DELETE, DPD, retransmission, Aggressive Mode.</summary>
public class Ikev1ExchangeTests
{
    private static IsakmpHeader? Header(Packet p) => IsakmpHeader.TryParse(p.Data, out IsakmpHeader h, out _) ? h : null;

    private static bool IsPhase1(Packet p, bool encrypted) => Header(p) is { ExchangeType: IsakmpExchangeType.IdentityProtection or IsakmpExchangeType.Aggressive } h && h.IsEncrypted == encrypted;

    private static bool IsQuickMode(Packet p) => Header(p) is { ExchangeType: IsakmpExchangeType.QuickMode };

    [Fact]
    public void The_responder_of_phase_1_can_initiate_Quick_Mode_and_either_side_can_start_phase_1()
    {
        EnginePair pair = Ikev1Pair.Create(Ikev1Pair.Connection(left: true), Ikev1Pair.Connection(left: false, rightInitiates: true));
        Assert.True(pair.Right.Initiate(pair.Now, "net", out string? error), error);
        pair.Drive();
        ChildSa r = Assert.Single(pair.Events<ChildSaInstalled>(Side.Right)).ChildSa;
        ChildSa l = Assert.Single(pair.Events<ChildSaInstalled>(Side.Left)).ChildSa;
        Assert.Equal(r.InboundSpi, l.OutboundSpi);
        Assert.True(Assert.Single(pair.Right.Ikev1.Sas).IsInitiator);
        // A second child over the same ISAKMP SA, started by the phase 1 responder this time.
        Assert.True(pair.Left.Initiate(pair.Now, "net", out error), error);
        pair.Drive();
        Assert.Equal(2, pair.Events<ChildSaInstalled>(Side.Left).Count());
        Assert.Single(pair.Left.Ikev1.Sas);
        Assert.Empty(pair.LeftLog.Warnings);
        Assert.Empty(pair.RightLog.Warnings);
    }

    [Fact]
    public void Pfs_sends_a_KE_payload_in_Quick_Mode_and_without_it_none()
    {
        EnginePair pfs = Ikev1Pair.Create(esp: "aes128-sha256-modp2048");
        pfs.Establish();
        Assert.True(pfs.LeftLog.Has("sending QUICK_MODE request") && pfs.LeftLog.Lines.Any(l => l.Text.Contains("QUICK_MODE request") && l.Text.Contains("[HASH SA No KE ID ID]")));
        Assert.Equal("aes128-sha256-modp2048", Assert.Single(pfs.Events<ChildSaInstalled>(Side.Left)).ChildSa.Proposal.ToString());
        EnginePair plain = Ikev1Pair.Create(esp: "aes128-sha256");
        plain.Establish();
        Assert.Contains(plain.LeftLog.Lines, l => l.Text.Contains("QUICK_MODE request") && l.Text.Contains("[HASH SA No ID ID]"));
        Assert.Single(plain.Events<ChildSaInstalled>(Side.Right));
    }

    [Fact]
    public void A_wrong_PSK_is_an_invalid_HASH_I_on_the_responder_and_a_refusal_on_the_initiator()
    {
        EnginePair pair = Ikev1Pair.Create(rightPsk: "another secret entirely"u8.ToArray());
        pair.Establish();
        Assert.Contains(pair.RightLog.Warnings, w => w.Contains("invalid HASH_I") && w.Contains("pre-shared key mismatch?"));
        // The responder's notify is under its own keys: the initiator cannot read it, which says enough.
        Assert.Single(pair.LeftLog.Warnings, w => w.Contains("protected notify we cannot read") && w.Contains("pre-shared key mismatch?"));
        Assert.Single(pair.Sent, p => p.From == Side.Left && IsPhase1(p, encrypted: true));
        Assert.Single(pair.Events<ChildSaFailed>(Side.Left));
        Assert.Empty(pair.Left.Ikev1.Sas);
        Assert.Empty(pair.Right.Ikev1.Sas);
        Assert.Empty(pair.Events<ChildSaInstalled>(Side.Left));
    }

    [Fact]
    public void An_unexpected_peer_identity_is_refused_with_a_notify_the_initiator_can_read()
    {
        EnginePair pair = Ikev1Pair.Create(Ikev1Pair.Connection(left: true), Ikev1Pair.Connection(left: false, remoteId: "@someone.else"));
        pair.Establish();
        Assert.True(pair.RightLog.Warnings.Any(w => w.Contains("peer identity 'left.example' is not the configured 'someone.else'")), pair.Dump());
        Assert.Contains(pair.LeftLog.Warnings, w => w.Contains("AUTHENTICATION_FAILED") && w.Contains("check the pre-shared key and identities"));
        Assert.Single(pair.Events<ChildSaFailed>(Side.Left));
        Assert.Empty(pair.Left.Ikev1.Sas);
    }

    [Fact]
    public void No_common_phase_1_proposal_is_NO_PROPOSAL_CHOSEN_with_both_lists_logged()
    {
        EnginePair pair = Ikev1Pair.Create(ike: "aes128-sha256-modp2048", rightIke: "aes256-sha384-ecp384");
        pair.Establish();
        string line = Assert.Single(pair.RightLog.Warnings, w => w.Contains("no proposal chosen"));
        Assert.Contains("received aes128-sha256-modp2048", line);
        Assert.Contains("configured aes256-sha384-prfsha384-ecp384", line);
        Assert.Contains(pair.LeftLog.Warnings, w => w.Contains("NO_PROPOSAL_CHOSEN"));
        Assert.Single(pair.Events<ChildSaFailed>(Side.Left));
        Assert.Empty(pair.Left.Ikev1.Sas);
    }

    [Fact]
    public void No_common_ESP_proposal_fails_the_Quick_Mode_at_once_and_keeps_the_ISAKMP_SA()
    {
        EnginePair pair = Ikev1Pair.Create(esp: "aes128-sha256", rightEsp: "aes256gcm16");
        DateTimeOffset start = pair.Now;
        pair.Establish();
        Assert.Contains(pair.RightLog.Warnings, w => w.Contains("no proposal chosen") && w.Contains("ESP aes128-sha256"));
        ChildSaFailed failed = Assert.Single(pair.Events<ChildSaFailed>(Side.Left));
        Assert.Contains("NO-PROPOSAL-CHOSEN", failed.Reason);
        Assert.Equal(IsakmpSaState.Established, Assert.Single(pair.Left.Ikev1.Sas).State);
        Assert.True(pair.Events<ChildSaFailed>(Side.Left).Any() && pair.Sent.Count(IsQuickMode) == 1, "failed without retransmitting");
        _ = start;
    }

    [Fact]
    public void Behind_a_NAT_IKE_floats_to_4500_ESP_goes_in_UDP_and_keepalives_keep_the_mapping()
    {
        EnginePair pair = Ikev1Pair.Create();
        pair.NatLeft = true;
        pair.Establish();
        IsakmpSa l = Assert.Single(pair.Left.Ikev1.Sas), r = Assert.Single(pair.Right.Ikev1.Sas);
        Assert.True(l.LocalBehindNat);
        Assert.False(l.RemoteBehindNat);
        Assert.True(r.RemoteBehindNat);
        Assert.Equal(4500, l.LocalEndpoint.Port);
        Assert.Equal(4500, l.RemoteEndpoint.Port);
        Assert.Equal(new IPEndPoint(EnginePair.NatPublicAddress, 30001), r.RemoteEndpoint);
        Assert.True(Assert.Single(pair.Events<ChildSaInstalled>(Side.Left)).ChildSa.UdpEncapsulation);
        Assert.True(Assert.Single(pair.Events<ChildSaInstalled>(Side.Right)).ChildSa.UdpEncapsulation);
        // Every encrypted message went over 4500 with the non-ESP marker.
        Assert.All(pair.Sent.Where(p => Header(p) is { IsEncrypted: true }), p => Assert.True(p.NonEspMarker && p.Source.Port == 4500));
        Assert.Contains(pair.LeftLog.Lines, l => l.Text.Contains("NAT detected: local True"));
        pair.Sent.Clear();
        pair.Drive(TimeSpan.FromSeconds(25));
        Assert.Contains(pair.Sent, p => p.From == Side.Left && p.IsKeepalive);
        Assert.DoesNotContain(pair.Sent, p => p.From == Side.Right && p.IsKeepalive);
    }

    [Fact]
    public void Encap_yes_fakes_NAT_detection_so_both_sides_encapsulate()
    {
        EnginePair pair = Ikev1Pair.Create(Ikev1Pair.Connection(left: true, encap: true), Ikev1Pair.Connection(left: false));
        pair.Establish();
        Assert.True(Assert.Single(pair.Right.Ikev1.Sas).RemoteBehindNat);
        Assert.True(Assert.Single(pair.Events<ChildSaInstalled>(Side.Right)).ChildSa.UdpEncapsulation);
        Assert.Equal(4500, Assert.Single(pair.Left.Ikev1.Sas).LocalEndpoint.Port);
    }

    [Fact]
    public void Transport_mode_through_a_NAT_exchanges_NAT_OA_and_exposes_the_original_addresses()
    {
        EnginePair pair = Ikev1Pair.Create(
            Ikev1Pair.Connection(left: true, mode: ChildMode.Transport, localTs: [EnginePair.Ts("192.0.2.1[udp/1701]")], remoteTs: [EnginePair.Ts("192.0.2.2[udp/1701]")]),
            Ikev1Pair.Connection(left: false, mode: ChildMode.Transport, localTs: [EnginePair.Ts("192.0.2.2[udp/1701]")], remoteTs: []));
        pair.NatLeft = true;
        pair.Establish();
        ChildSa l = Assert.Single(pair.Events<ChildSaInstalled>(Side.Left)).ChildSa;
        ChildSa r = Assert.Single(pair.Events<ChildSaInstalled>(Side.Right)).ChildSa;
        Assert.Equal(ChildMode.Transport, l.Mode);
        Assert.Contains(pair.LeftLog.Lines, x => x.Text.Contains("QUICK_MODE request") && x.Text.Contains("NAT-OA NAT-OA"));
        // The responder learns the client's private address (for the L2TP checksum fix-up) and knows it by its public one.
        Assert.Equal(EnginePair.LeftAddress, r.RemoteOriginalAddress);
        Assert.Equal(EnginePair.NatPublicAddress, r.RemoteTs[0].StartAddress);
        Assert.Equal(17, r.RemoteTs[0].Protocol);
        Assert.Equal(EnginePair.RightAddress, l.RemoteOriginalAddress);
        Assert.Empty(pair.RightLog.Warnings);
    }

    [Fact]
    public void Transport_mode_is_refused_for_a_tunnel_mode_child()
    {
        EnginePair pair = Ikev1Pair.Create(Ikev1Pair.Connection(left: true, mode: ChildMode.Transport), Ikev1Pair.Connection(left: false));
        pair.Establish();
        Assert.Single(pair.Events<ChildSaFailed>(Side.Left));
        Assert.Contains(pair.RightLog.Warnings, w => w.Contains("no proposal chosen") && w.Contains("tunnel mode"));
    }

    [Fact]
    public void DELETE_of_the_ISAKMP_SA_removes_it_and_its_Quick_Mode_SAs_on_both_sides()
    {
        EnginePair pair = Ikev1Pair.Create();
        pair.Establish();
        Assert.Equal(1, pair.Left.Terminate(pair.Now, "net"));
        pair.Drive();
        Assert.Empty(pair.Left.Ikev1.Sas);
        Assert.Empty(pair.Right.Ikev1.Sas);
        Assert.Single(pair.Events<ChildSaRemoved>(Side.Left));
        ChildSa gone = Assert.Single(pair.Events<ChildSaRemoved>(Side.Right)).ChildSa;
        Assert.True(gone.ClosedByPeer);
        Assert.Contains(pair.RightLog.Lines, l => l.Text.Contains("deleted by peer"));
    }

    [Fact]
    public void DELETE_of_a_Quick_Mode_SA_keeps_the_ISAKMP_SA_and_close_action_start_brings_it_back()
    {
        EnginePair pair = Ikev1Pair.Create(Ikev1Pair.Connection(left: true), Ikev1Pair.Connection(left: false, rightInitiates: true, closeAction: CloseAction.Start));
        pair.Establish();
        ChildSa l = Assert.Single(pair.Events<ChildSaInstalled>(Side.Left)).ChildSa;
        ((IsakmpSa)l.Owner).DeleteChild(pair.Now, l, "test");
        pair.Drive();
        Assert.Single(pair.Events<ChildSaRemoved>(Side.Right));
        Assert.Single(pair.Right.Ikev1.Sas);
        // close_action = start on the right: a new Quick Mode over the same ISAKMP SA.
        Assert.Equal(2, pair.Events<ChildSaInstalled>(Side.Right).Count());
        Assert.Single(Assert.Single(pair.Right.Ikev1.Sas).Children);
    }

    [Fact]
    public void DPD_R_U_THERE_is_answered_while_the_peer_lives()
    {
        EnginePair pair = Ikev1Pair.Create(Ikev1Pair.Connection(left: true, dpdDelay: TimeSpan.FromSeconds(10)), Ikev1Pair.Connection(left: false));
        pair.Establish();
        pair.Drive(TimeSpan.FromSeconds(65));
        Assert.True(pair.LeftLog.Lines.Count(l => l.Text.Contains("sending a DPD liveness check")) >= 5);
        Assert.Contains(pair.RightLog.Lines, l => l.Text.Contains("N(R-U-THERE)"));
        Assert.Contains(pair.LeftLog.Lines, l => l.Text.Contains("N(R-U-THERE-ACK)"));
        Assert.Equal(IsakmpSaState.Established, Assert.Single(pair.Left.Ikev1.Sas).State);
        Assert.DoesNotContain(pair.LeftLog.Lines, l => l.Text.Contains("peer is dead"));
    }

    [Fact]
    public void DPD_declares_a_silent_peer_dead_after_dpd_timeout_and_dpd_action_restart_initiates_again()
    {
        EnginePair pair = Ikev1Pair.Create(Ikev1Pair.Connection(left: true, dpdDelay: TimeSpan.FromSeconds(10), dpdTimeout: TimeSpan.FromSeconds(30),
            dpdAction: CloseAction.Start), Ikev1Pair.Connection(left: false));
        pair.Establish();
        DateTimeOffset quiet = pair.Now;
        bool dead = true;
        pair.Intercept = p => dead && p.From == Side.Right ? [] : [p];
        pair.Drive(TimeSpan.FromSeconds(45));
        string line = Assert.Single(pair.LeftLog.Warnings, w => w.Contains("peer is dead"));
        Assert.Contains("dpd_timeout (30 s)", line);
        Assert.Contains(pair.LeftLog.Lines, l => l.Text.Contains("dpd_action = restart"));
        Assert.True(pair.Events<ChildSaRemoved>(Side.Left).Single().ChildSa.AfterRemoval == CloseAction.Start);
        dead = false;
        pair.Drive(TimeSpan.FromMinutes(3));
        Assert.Equal(2, pair.Events<ChildSaInstalled>(Side.Left).Count());
        _ = quiet;
    }

    [Fact]
    public void Lost_messages_are_retransmitted_and_repeats_get_the_cached_answer()
    {
        EnginePair pair = Ikev1Pair.Create();
        var dropped = new HashSet<string>();
        bool DropOnce(string what) => dropped.Add(what);
        pair.Intercept = p =>
        {
            IsakmpHeader? h = Header(p);
            if (h is null) return [p];
            // Main Mode 2 and 6 from the responder, Quick Mode 3 from the initiator: each lost once.
            if (p.From == Side.Right && IsPhase1(p, false) && DropOnce("mm2")) return [];
            if (p.From == Side.Right && IsPhase1(p, true) && DropOnce("mm6")) return [];
            if (p.From == Side.Left && IsQuickMode(p) && p.Data.Length < 100 && DropOnce("qm3")) return [];
            return [p];
        };
        pair.Establish();
        Assert.Equal(["mm2", "mm6", "qm3"], dropped.Order());
        Assert.Single(pair.Events<ChildSaInstalled>(Side.Left));
        Assert.Single(pair.Events<ChildSaInstalled>(Side.Right));
        Assert.Single(pair.Right.Ikev1.Sas);
        Assert.True(pair.LeftLog.Lines.Count(l => l.Text.Contains("retransmitting")) >= 2);
        Assert.Contains(pair.RightLog.Lines, l => l.Text.Contains("retransmitting QUICK_MODE"));
    }

    [Fact]
    public void Every_packet_duplicated_still_establishes_and_the_repeats_die_out()
    {
        EnginePair pair = Ikev1Pair.Create(aggressiveLeft: false);
        pair.Intercept = p => [p, p];
        pair.Establish();
        Assert.Single(pair.Events<ChildSaInstalled>(Side.Left));
        Assert.Single(pair.Events<ChildSaInstalled>(Side.Right));
        // Each repeat gets at most one answer, and the final messages (6 and Quick Mode 3) none: a bounded number.
        Assert.True(pair.Sent.Count < 100, $"{pair.Sent.Count} datagrams");
        EnginePair aggressive = Ikev1Pair.Create(aggressiveLeft: true, aggressiveRight: true);
        aggressive.Intercept = p => [p, p];
        aggressive.Establish();
        Assert.Single(aggressive.Events<ChildSaInstalled>(Side.Right));
        Assert.True(aggressive.Sent.Count < 100, $"{aggressive.Sent.Count} datagrams");
    }

    [Fact]
    public void An_unanswered_Main_Mode_gives_up_after_the_retransmissions()
    {
        EnginePair pair = Ikev1Pair.Create();
        pair.Intercept = p => p.From == Side.Left ? [] : [p];
        pair.Establish(horizon: TimeSpan.FromMinutes(10));
        Assert.Equal(6, pair.Sent.Count(p => p.From == Side.Left));
        Assert.Single(pair.Events<ChildSaFailed>(Side.Left));
        Assert.Empty(pair.Left.Ikev1.Sas);
    }

    [Fact]
    public void Aggressive_Mode_is_refused_unless_the_responder_allows_it_and_the_log_says_why()
    {
        EnginePair refused = Ikev1Pair.Create(aggressiveLeft: true, aggressiveRight: false);
        refused.Establish();
        string line = Assert.Single(refused.RightLog.Warnings);
        Assert.Contains("Aggressive Mode from 192.0.2.1:500 refused", line);
        Assert.Contains("cracked offline", line);
        Assert.Contains("aggressive = yes", line);
        Assert.Single(refused.Events<ChildSaFailed>(Side.Left));
        Assert.Empty(refused.Right.Ikev1.Sas);

        EnginePair accepted = Ikev1Pair.Create(aggressiveLeft: true, aggressiveRight: true);
        accepted.Establish();
        Assert.Equal(Phase1Mode.Aggressive, Assert.Single(accepted.Right.Ikev1.Sas).Mode);
        Assert.Single(accepted.Events<ChildSaInstalled>(Side.Right));
        Assert.Equal(3, accepted.Sent.Count(p => Header(p)?.ExchangeType == IsakmpExchangeType.Aggressive));
        Assert.Empty(accepted.RightLog.Warnings);
    }

    [Fact]
    public void Aggressive_Mode_through_a_NAT_and_with_a_wrong_PSK()
    {
        EnginePair nat = Ikev1Pair.Create(aggressiveLeft: true, aggressiveRight: true);
        nat.NatLeft = true;
        nat.Establish();
        Assert.True(Assert.Single(nat.Left.Ikev1.Sas).LocalBehindNat);
        Assert.True(Assert.Single(nat.Events<ChildSaInstalled>(Side.Right)).ChildSa.UdpEncapsulation);

        EnginePair wrong = Ikev1Pair.Create(aggressiveLeft: true, aggressiveRight: true, rightPsk: "not the same"u8.ToArray());
        wrong.Establish();
        Assert.Contains(wrong.LeftLog.Warnings, w => w.Contains("invalid HASH_R"));
        Assert.Empty(wrong.Events<ChildSaInstalled>(Side.Left));
    }

    [Fact]
    public void INITIAL_CONTACT_from_a_restarted_peer_removes_its_stale_ISAKMP_SA()
    {
        EnginePair pair = Ikev1Pair.Create();
        pair.Establish();
        IsakmpSa stale = Assert.Single(pair.Right.Ikev1.Sas);
        // The left forgets everything (a restart), then connects again: its INITIAL-CONTACT clears the right's old SA.
        Assert.Single(pair.Left.Ikev1.Sas).Remove(pair.Now, "restart");
        pair.Establish();
        IsakmpSa fresh = Assert.Single(pair.Right.Ikev1.Sas);
        Assert.NotSame(stale, fresh);
        Assert.Contains(pair.RightLog.Lines, l => l.Text.Contains($"INITIAL-CONTACT from 'left.example': removing its stale IKE_SA net[{stale.Uid}]"));
    }

    [Fact]
    public void The_responders_shorter_lifetime_comes_back_as_RESPONDER_LIFETIME_and_both_rekey_before_it()
    {
        EnginePair pair = Ikev1Pair.Create(Ikev1Pair.Connection(left: true),
            Ikev1Pair.Connection(left: false, childRekey: TimeSpan.FromMinutes(10), childLife: TimeSpan.FromMinutes(11)));
        pair.Establish(horizon: TimeSpan.FromSeconds(30));
        ChildSa l = Assert.Single(pair.Events<ChildSaInstalled>(Side.Left)).ChildSa;
        Assert.Contains(pair.LeftLog.Lines, x => x.Text.Contains("RESPONDER-LIFETIME"));
        Assert.Equal(pair.Now + TimeSpan.FromMinutes(11), l.ExpireAt);
        Assert.True(l.RekeyAt < l.ExpireAt);
    }

    [Fact]
    public void A_Quick_Mode_SA_rekeys_with_a_new_Quick_Mode_and_the_old_one_is_deleted()
    {
        EnginePair pair = Ikev1Pair.Create(Ikev1Pair.Connection(left: true, childRekey: TimeSpan.FromMinutes(5), childLife: TimeSpan.FromMinutes(6)),
            Ikev1Pair.Connection(left: false, childRekey: TimeSpan.FromMinutes(50), childLife: TimeSpan.FromMinutes(60)));
        pair.Establish(horizon: TimeSpan.FromSeconds(30));
        ChildSa first = Assert.Single(pair.Events<ChildSaInstalled>(Side.Left)).ChildSa;
        pair.Drive(TimeSpan.FromMinutes(6));
        ChildSa second = pair.Events<ChildSaInstalled>(Side.Left).Last().ChildSa;
        Assert.NotSame(first, second);
        Assert.Same(first, second.Replaces);
        Assert.True(Assert.Single(pair.Events<ChildSaRemoved>(Side.Left)).ChildSa.Superseded);
        ChildSa rightOld = pair.Events<ChildSaRemoved>(Side.Right).First().ChildSa;
        Assert.True(rightOld.Superseded);
        Assert.False(rightOld.ClosedByPeer);
        Assert.Contains(pair.RightLog.Lines, x => x.Text.Contains("initiated by the peer"));
        Assert.Single(Assert.Single(pair.Right.Ikev1.Sas).Children);
        Assert.Empty(pair.LeftLog.Warnings);
        Assert.Empty(pair.RightLog.Warnings);
    }

    [Fact]
    public void A_rekey_initiator_sends_on_the_new_SA_once_the_peer_does_and_only_then_deletes_the_old_one()
    {
        EnginePair pair = Ikev1Pair.Create();
        pair.Establish(horizon: TimeSpan.FromSeconds(30));
        IsakmpSa left = Assert.Single(pair.Left.Ikev1.Sas);
        ChildSa l0 = Assert.Single(left.Children), r0 = Assert.Single(Assert.Single(pair.Right.Ikev1.Sas).Children);
        left.RekeyChild(pair.Now, l0, "test");
        pair.Pump();
        ChildSa l1 = pair.Events<ChildSaInstalled>(Side.Left).Last().ChildSa, r1 = pair.Events<ChildSaInstalled>(Side.Right).Last().ChildSa;
        Assert.Same(l0, l1.Replaces);
        Assert.Same(r0, r1.Replaces);
        // Message 3 reached the responder, which installed the SA before it: the responder sends on it.
        Assert.True(r1.OutboundActive);
        Assert.Contains(pair.RightEvents, e => e is ChildSaOutboundActivated a && a.ChildSa == r1);
        // The initiator cannot know message 3 arrived: the old SA carries its traffic still.
        Assert.False(l1.OutboundActive);
        Assert.Equal(ChildSaState.Installed, l0.State);
        Assert.DoesNotContain(pair.LeftEvents, e => e is ChildSaOutboundActivated);

        pair.Left.ChildSaInboundUsed(pair.Now, l1.InboundSpi);
        pair.Pump();
        Assert.True(l1.OutboundActive);
        Assert.Contains(pair.LeftEvents, e => e is ChildSaOutboundActivated a && a.ChildSa == l1);
        Assert.Equal(ChildSaState.Deleted, l0.State);
        Assert.Equal(ChildSaState.Deleted, r0.State);
        Assert.True(r0.Superseded);
        Assert.Equal(CloseAction.None, r0.AfterRemoval);
        Assert.Empty(pair.LeftLog.Warnings);
        Assert.Empty(pair.RightLog.Warnings);
    }

    [Fact]
    public void Without_message_3_or_traffic_the_new_SAs_take_over_when_the_handover_time_has_passed()
    {
        EnginePair pair = Ikev1Pair.Create();
        pair.Establish(horizon: TimeSpan.FromSeconds(30));
        IsakmpSa left = Assert.Single(pair.Left.Ikev1.Sas);
        ChildSa l0 = Assert.Single(left.Children), r0 = Assert.Single(Assert.Single(pair.Right.Ikev1.Sas).Children);
        // The rekey's message 1 gets through; message 3 (and every retransmission of it) is lost.
        int fromLeft = 0;
        pair.Intercept = p => p.From == Side.Left && IsQuickMode(p) && ++fromLeft > 1 ? [] : [p];
        DateTimeOffset start = pair.Now;
        left.RekeyChild(pair.Now, l0, "test");
        pair.Pump();
        ChildSa l1 = pair.Events<ChildSaInstalled>(Side.Left).Last().ChildSa, r1 = pair.Events<ChildSaInstalled>(Side.Right).Last().ChildSa;
        Assert.False(l1.OutboundActive);
        Assert.False(r1.OutboundActive);
        pair.Drive(horizon: IsakmpSa.OutboundHandover - TimeSpan.FromMilliseconds(1));
        Assert.False(l1.OutboundActive);
        Assert.False(r1.OutboundActive);
        Assert.Equal(ChildSaState.Installed, l0.State);
        pair.Drive(horizon: start + IsakmpSa.OutboundHandover + TimeSpan.FromSeconds(1) - pair.Now);
        Assert.True(l1.OutboundActive);
        Assert.True(r1.OutboundActive);
        Assert.True(pair.Now >= start + IsakmpSa.OutboundHandover);
        Assert.Equal(ChildSaState.Deleted, l0.State);
        Assert.Equal(ChildSaState.Deleted, r0.State);
    }

    [Fact]
    public void Phase_1_is_renewed_by_reauthentication_and_the_Quick_Mode_SAs_move_over_without_a_gap()
    {
        EnginePair pair = Ikev1Pair.Create(Ikev1Pair.Connection(left: true, ikeRekey: TimeSpan.FromMinutes(10)), Ikev1Pair.Connection(left: false));
        pair.Establish(horizon: TimeSpan.FromSeconds(30));
        IsakmpSa oldLeft = Assert.Single(pair.Left.Ikev1.Sas), oldRight = Assert.Single(pair.Right.Ikev1.Sas);
        Assert.NotNull(oldLeft.ReauthAt);
        Assert.Null(oldRight.ReauthAt);
        pair.Drive(TimeSpan.FromMinutes(11));
        IsakmpSa newLeft = Assert.Single(pair.Left.Ikev1.Sas), newRight = Assert.Single(pair.Right.Ikev1.Sas);
        Assert.NotSame(oldLeft, newLeft);
        Assert.NotSame(oldRight, newRight);
        foreach (Side side in (Side[])[Side.Left, Side.Right])
        {
            ChildSa[] installed = pair.Events<ChildSaInstalled>(side).Select(e => e.ChildSa).ToArray();
            Assert.Equal(2, installed.Length);
            Assert.Same(installed[0], installed[1].Replaces);
            ChildSa removed = Assert.Single(pair.Events<ChildSaRemoved>(side)).ChildSa;
            Assert.Same(installed[0], removed);
            Assert.True(removed.Superseded);
            Assert.Equal(CloseAction.None, removed.AfterRemoval);
        }
        // The old ISAKMP SA (and with it the old Quick Mode SA) went only after the new Quick Mode SA took the traffic.
        List<IkeEvent> leftEvents = pair.LeftEvents;
        ChildSa fresh = pair.Events<ChildSaInstalled>(Side.Left).Last().ChildSa;
        int activated = leftEvents.FindIndex(e => e is ChildSaOutboundActivated a && a.ChildSa == fresh), oldGone = leftEvents.FindIndex(e => e is ChildSaRemoved);
        Assert.InRange(activated, 0, oldGone - 1);
        Assert.Contains(pair.LeftLog.Lines, l => l.Text.Contains("reauthenticating: a new IKE_SA"));
        Assert.Empty(pair.LeftLog.Warnings);
        Assert.Empty(pair.RightLog.Warnings);
    }

    [Fact]
    public void Half_open_Main_Modes_from_one_address_stop_at_block_threshold()
    {
        EnginePair pair = Ikev1Pair.Create();
        // The initiator's first messages reach the responder, nothing comes back: each attempt stays half-open.
        pair.Intercept = p => p.From == Side.Right ? [] : [p];
        for (int i = 0; i < 7; i++) Assert.True(pair.Left.Ikev1Initiate(pair.Now));
        pair.Pump();
        Assert.Equal(5, pair.Right.Ikev1.Sas.Count);
        Assert.Contains(pair.RightLog.Warnings, w => w.Contains("block_threshold 5"));
        // The half-open timeout frees them.
        pair.Drive(TimeSpan.FromSeconds(31));
        Assert.Empty(pair.Right.Ikev1.Sas);
    }

    /// <summary>
    /// First messages from many addresses (as forged ones would come), each under block_threshold: the responder keeps
    /// at most Ikev1HalfOpenCap half-open SAs, says so (rate-limited), and takes new ones once the timeout frees room.
    /// </summary>
    [Theory]
    [InlineData(3)]
    [InlineData(4096)]
    public void Half_open_Main_Modes_from_many_addresses_stop_at_the_ikev1_cap(int cap)
    {
        var pair = new EnginePair(EnginePair.MakeConfig(Ikev1Pair.Connection(left: true)), EnginePair.MakeConfig(Ikev1Pair.Connection(left: false)),
            rightOptions: new IkeEngineOptions { Ikev1HalfOpenCap = cap });
        Packet? first = null;
        pair.Intercept = p => { first ??= p; return []; };
        Assert.True(pair.Left.Ikev1Initiate(pair.Now));
        pair.Pump();
        Assert.NotNull(first);
        void FromAddresses(int from, int count)
        {
            for (int i = from; i < from + count; i++)
                pair.Right.HandleDatagram(pair.Now, first!.Destination, new IPEndPoint(IPAddress.Parse($"198.51.100.{i}"), 500), first.Data);
        }
        FromAddresses(1, 10);
        Assert.Equal(Math.Min(cap, 10), pair.Right.Ikev1.Sas.Count);
        Assert.Equal(cap < 10, pair.RightLog.Warnings.Any(w => w.Contains($"IKEv1 cap {cap}", StringComparison.Ordinal)));
        pair.Now += TimeSpan.FromSeconds(31);
        pair.Right.HandleTimeout(pair.Now);
        Assert.Empty(pair.Right.Ikev1.Sas);
        FromAddresses(100, 1);
        Assert.Single(pair.Right.Ikev1.Sas);
    }
}

public class Ikev1FuzzTests
{
    /// <summary>
    /// Every exchange with one packet mangled (a byte changed, or cut short) at a random point: the engines must never
    /// throw, and whatever they do next stays within their error handling.
    /// </summary>
    [Fact]
    public void Mangled_packets_anywhere_in_the_exchanges_never_throw()
    {
        var random = new Random(16);
        for (int round = 0; round < 300; round++)
        {
            EnginePair pair = Ikev1Pair.Create(esp: round % 2 == 0 ? "aes128-sha256" : "aes128-sha256-modp2048", aggressiveLeft: round % 3 == 0, aggressiveRight: round % 3 == 0);
            int target = random.Next(12), seen = 0;
            pair.Intercept = p =>
            {
                if (seen++ != target || p.Data.Length < 2) return [p];
                byte[] data = (byte[])p.Data.Clone();
                if (random.Next(4) == 0) data = data[..random.Next(data.Length)];
                else data[random.Next(data.Length)] ^= (byte)(1 << random.Next(8));
                return [p with { Data = data }];
            };
            pair.Establish(horizon: TimeSpan.FromMinutes(4));
        }
    }
}

internal static class Ikev1PairExtensions
{
    /// <summary>A new ISAKMP SA for child "net", even when one exists (the usual Initiate reuses it).</summary>
    public static bool Ikev1Initiate(this IkeEngine engine, DateTimeOffset now) =>
        engine.Ikev1.StartInitiator(now, engine.Config.Connections[0], [engine.Config.Connections[0].Children[0]], out _) is not null;
}
