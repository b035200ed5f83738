using System.Net;
using Portcullis.Core.Config;
using Portcullis.Core.Ikev2;
using Portcullis.Core.Ipsec;
using Portcullis.Core.Ikev2.Wire;
using static Portcullis.Core.Tests.Ikev2.EnginePair;
using static Portcullis.Core.Tests.Ikev2.Ikev2EstablishTests;

namespace Portcullis.Core.Tests.Ikev2;

public class Ikev2ExchangeTests
{
    private static bool Is(Packet p, Side from, ExchangeType exchange, bool response) =>
        p.From == from && p.Header is { } h && h.ExchangeType == exchange && h.IsResponse == response;

    [Fact]
    public void Nat_is_detected_ike_moves_to_4500_and_the_initiator_sends_keepalives()
    {
        var pair = Create();
        pair.NatLeft = true;
        pair.Establish(horizon: TimeSpan.Zero);

        (IkeSa li, IkeSa ri) = AssertIkePair(pair);
        (ChildSa l, ChildSa r) = AssertChildPair(pair);
        Assert.True(li.LocalBehindNat);
        Assert.False(li.RemoteBehindNat);
        Assert.True(ri.RemoteBehindNat);
        Assert.False(ri.LocalBehindNat);
        Assert.True(l.UdpEncapsulation);
        Assert.True(r.UdpEncapsulation);
        Assert.True(pair.LeftLog.Has("NAT detected: local True"), pair.Dump());
        Assert.True(pair.RightLog.Has("NAT detected"), pair.Dump());

        Packet init = Assert.Single(pair.Sent, p => Is(p, Side.Left, ExchangeType.IkeSaInit, false));
        Assert.Equal(500, init.Source.Port);
        Assert.False(init.NonEspMarker);
        Packet auth = Assert.Single(pair.Sent, p => Is(p, Side.Left, ExchangeType.IkeAuth, false));
        Assert.Equal(new IPEndPoint(LeftAddress, 4500), auth.Source);
        Assert.Equal(new IPEndPoint(RightAddress, 4500), auth.Destination);
        Assert.True(auth.NonEspMarker);
        Packet authResponse = Assert.Single(pair.Sent, p => Is(p, Side.Right, ExchangeType.IkeAuth, true));
        Assert.Equal(new IPEndPoint(NatPublicAddress, 30001), authResponse.Destination);
        Assert.True(authResponse.NonEspMarker);

        // ESP goes to the NAT's mapping of the initiator's port 4500, and to the responder's 4500.
        Assert.Equal(new IPEndPoint(NatPublicAddress, 30001), r.RemoteEndpoint);
        Assert.Equal(new IPEndPoint(RightAddress, 4500), l.RemoteEndpoint);
        Assert.Equal(new IPEndPoint(LeftAddress, 4500), l.LocalEndpoint);

        // Keepalives: none yet, one after the interval, from the initiator only, on the NAT-T port, no marker.
        Assert.DoesNotContain(pair.Sent, p => p.IsKeepalive);
        DateTimeOffset start = init.At;
        pair.Drive(TimeSpan.FromSeconds(41));
        Packet[] keepalives = pair.Sent.Where(p => p.IsKeepalive).ToArray();
        Assert.Equal(2, keepalives.Length);
        Assert.All(keepalives, k => Assert.Equal(Side.Left, k.From));
        Assert.All(keepalives, k => Assert.Equal(new IPEndPoint(LeftAddress, 4500), k.Source));
        Assert.All(keepalives, k => Assert.Equal(new IPEndPoint(RightAddress, 4500), k.Destination));
        Assert.Equal(TimeSpan.FromSeconds(20), keepalives[0].At - start);
        Assert.Equal(TimeSpan.FromSeconds(20), keepalives[1].At - keepalives[0].At);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Transport_mode_through_a_nat_reads_the_selectors_as_the_ike_addresses(bool nat)
    {
        // Both sides say dynamic: the initiator proposes its own (private) address, which the responder sees only as
        // the NAT's (RFC 7296 §2.23.1); each side ends up with the addresses as it sees them.
        static ChildConfig Transport(bool left) => new()
        {
            Name = "host",
            Location = new SourceLocation("test", 1),
            Mode = ChildMode.Transport,
            EspProposals = [P("aes128gcm16", ike: false)],
        };
        var pair = new EnginePair(MakeConfig(Connection(left: true, extraChildren: [Transport(true)])),
            MakeConfig(Connection(left: false, extraChildren: [Transport(false)])));
        pair.NatLeft = nat;
        pair.Establish("host", horizon: TimeSpan.Zero);
        // Not AssertChildPair: through the NAT the two sides' selectors are not mirror images.
        ChildSa l = Assert.Single(pair.Events<ChildSaInstalled>(Side.Left), e => e.ChildSa.Name == "host").ChildSa;
        ChildSa r = Assert.Single(pair.Events<ChildSaInstalled>(Side.Right), e => e.ChildSa.Name == "host").ChildSa;
        Assert.Equal((l.InboundSpi, l.OutboundSpi), (r.OutboundSpi, r.InboundSpi));
        Assert.Equal(("host", ChildMode.Transport, ChildMode.Transport), (l.Name, l.Mode, r.Mode));
        Assert.Equal(nat, l.UdpEncapsulation);
        Assert.Equal([TrafficSelector.ForHost(LeftAddress)], l.LocalTs);
        Assert.Equal([TrafficSelector.ForHost(RightAddress)], l.RemoteTs);
        Assert.Equal([TrafficSelector.ForHost(RightAddress)], r.LocalTs);
        Assert.Equal([TrafficSelector.ForHost(nat ? NatPublicAddress : LeftAddress)], r.RemoteTs);
    }

    [Theory]
    [InlineData(ChildMode.Transport, ChildMode.Tunnel, true, "the peer did not accept it")]
    [InlineData(ChildMode.Tunnel, ChildMode.Transport, false, "the peer did not ask for it")]
    public void Transport_mode_needs_both_sides_else_it_is_a_tunnel(ChildMode left, ChildMode right, bool leftWarns, string warning)
    {
        static ChildConfig Host(ChildMode mode) => new()
        {
            Name = "host",
            Location = new SourceLocation("test", 1),
            Mode = mode,
            EspProposals = [P("aes128gcm16", ike: false)],
        };
        var pair = new EnginePair(MakeConfig(Connection(left: true, extraChildren: [Host(left)])),
            MakeConfig(Connection(left: false, extraChildren: [Host(right)])));
        pair.Establish("host", horizon: TimeSpan.Zero);
        (ChildSa l, ChildSa r) = AssertChildPair(pair, "host");
        Assert.Equal((ChildMode.Tunnel, ChildMode.Tunnel), (l.Mode, r.Mode));
        Assert.True((leftWarns ? pair.LeftLog : pair.RightLog).Has($"not using transport mode, {warning}"), pair.Dump());
    }

    [Fact]
    public void Transport_mode_with_selectors_that_are_not_the_hosts_is_a_tunnel()
    {
        // strongSwan: "not using transport mode, not host-to-host". The initiator does not ask; the SA is a tunnel.
        TrafficSelector a = TrafficSelector.ForPrefix(IPAddress.Parse("198.18.10.0"), 24), b = TrafficSelector.ForPrefix(IPAddress.Parse("198.18.20.0"), 24);
        ChildConfig Subnets(bool left) => new()
        {
            Name = "subnets",
            Location = new SourceLocation("test", 1),
            Mode = ChildMode.Transport,
            LocalTs = [left ? a : b],
            RemoteTs = [left ? b : a],
            EspProposals = [P("aes128gcm16", ike: false)],
        };
        var pair = new EnginePair(MakeConfig(Connection(left: true, extraChildren: [Subnets(true)])),
            MakeConfig(Connection(left: false, extraChildren: [Subnets(false)])));
        pair.Establish("subnets", horizon: TimeSpan.Zero);
        (ChildSa l, ChildSa r) = AssertChildPair(pair, "subnets");
        Assert.Equal((ChildMode.Tunnel, ChildMode.Tunnel), (l.Mode, r.Mode));
        Assert.True(pair.LeftLog.Has("not using transport mode, not host-to-host"), pair.Dump());
    }

    [Fact]
    public void Encap_yes_forces_udp_encapsulation_without_a_nat()
    {
        var pair = Create(encap: true);
        pair.Establish(horizon: TimeSpan.Zero);
        (IkeSa li, IkeSa ri) = AssertIkePair(pair);
        (ChildSa l, ChildSa r) = AssertChildPair(pair);
        Assert.True(l.UdpEncapsulation);
        Assert.True(r.UdpEncapsulation);
        Assert.False(li.LocalBehindNat);
        Packet auth = Assert.Single(pair.Sent, p => Is(p, Side.Left, ExchangeType.IkeAuth, false));
        Assert.True(auth.NonEspMarker);
        Assert.Equal(4500, auth.Source.Port);
        Assert.Equal(4500, auth.Destination.Port);
        Assert.Equal(new IPEndPoint(LeftAddress, 4500), r.RemoteEndpoint);
        Assert.Equal(new IPEndPoint(RightAddress, 4500), l.RemoteEndpoint);
    }

    [Fact]
    public void Without_nat_or_encap_there_is_no_encapsulation_and_no_keepalive()
    {
        var pair = Create();
        pair.Establish();
        (ChildSa l, ChildSa r) = AssertChildPair(pair);
        Assert.False(l.UdpEncapsulation || r.UdpEncapsulation);
        pair.Drive(TimeSpan.FromMinutes(2));
        Assert.DoesNotContain(pair.Sent, p => p.IsKeepalive);
    }

    [Fact]
    public void A_dropped_ike_auth_request_is_retransmitted_after_4_seconds()
    {
        var pair = Create();
        int dropped = 0;
        pair.Intercept = p => Is(p, Side.Left, ExchangeType.IkeAuth, false) && dropped++ == 0 ? [] : [p];
        pair.Establish();

        AssertIkePair(pair);
        AssertChildPair(pair);
        Packet[] auths = pair.Sent.Where(p => Is(p, Side.Left, ExchangeType.IkeAuth, false)).ToArray();
        Assert.Equal(2, auths.Length);
        Assert.Equal(auths[0].Data, auths[1].Data);
        Assert.Equal(TimeSpan.FromSeconds(4), auths[1].At - auths[0].At);
        Assert.True(pair.LeftLog.Has("retransmitting IkeAuth request 1 (try 1)"), pair.Dump());
    }

    [Fact]
    public void When_every_ike_auth_request_is_lost_the_initiator_gives_up_after_the_retries()
    {
        var pair = Create();
        pair.Intercept = p => Is(p, Side.Left, ExchangeType.IkeAuth, false) ? [] : [p];
        pair.Establish(horizon: TimeSpan.FromMinutes(10));

        Packet[] auths = pair.Sent.Where(p => Is(p, Side.Left, ExchangeType.IkeAuth, false)).ToArray();
        Assert.Equal(6, auths.Length); // the first send and 5 retransmissions (strongSwan's defaults)
        double[] gaps = auths.Zip(auths.Skip(1), (a, b) => (b.At - a.At).TotalSeconds).ToArray();
        Assert.Equal([4, 7.2, 12.96, 23.328, 41.9904], gaps, (a, b) => Math.Abs(a - b) < 0.001);
        IkeSaRemoved removed = Assert.Single(pair.Events<IkeSaRemoved>(Side.Left));
        Assert.Contains("giving up after 5 retransmits of IkeAuth", removed.Reason);
        Assert.Empty(pair.Left.IkeSas);
        // The responder drops its half-open SA on its own timeout.
        Assert.Contains("half-open", Assert.Single(pair.Events<IkeSaRemoved>(Side.Right)).Reason);
        Assert.Empty(pair.Right.IkeSas);
        Assert.Empty(pair.Events<ChildSaInstalled>(Side.Left));
    }

    [Fact]
    public void When_the_responder_never_answers_ike_sa_init_the_initiator_gives_up()
    {
        var pair = Create();
        pair.Intercept = p => p.From == Side.Left ? [] : [p];
        pair.Establish(horizon: TimeSpan.FromMinutes(10));
        Assert.Equal(6, pair.Sent.Count);
        Assert.Contains("giving up", Assert.Single(pair.Events<IkeSaRemoved>(Side.Left)).Reason);
        pair.AssertNothingPending(pair.Left);
    }

    [Fact]
    public void A_duplicated_request_gets_the_cached_response_and_is_processed_once()
    {
        var pair = Create();
        pair.Intercept = p => p.From == Side.Left && p.Header is { IsResponse: false } ? [p, p] : [p];
        pair.Establish();

        AssertIkePair(pair);
        AssertChildPair(pair);
        Packet[] initResponses = pair.Sent.Where(p => Is(p, Side.Right, ExchangeType.IkeSaInit, true)).ToArray();
        Assert.Equal(2, initResponses.Length);
        Assert.Equal(initResponses[0].Data, initResponses[1].Data);
        Packet[] authResponses = pair.Sent.Where(p => Is(p, Side.Right, ExchangeType.IkeAuth, true)).ToArray();
        Assert.Equal(2, authResponses.Length);
        Assert.Equal(authResponses[0].Data, authResponses[1].Data);
        Assert.Single(pair.Right.IkeSas);
        Assert.True(pair.LeftLog.Has("response to no outstanding request"), pair.Dump());
    }

    [Fact]
    public void A_late_retransmission_after_the_response_crossed_is_harmless()
    {
        // Reorder: hold the IKE_AUTH response until the initiator has retransmitted the request.
        var pair = Create();
        Packet? held = null;
        pair.Intercept = p =>
        {
            if (held is null && Is(p, Side.Right, ExchangeType.IkeAuth, true)) { held = p; return []; }
            return [p];
        };
        Assert.True(pair.Left.Initiate(pair.Now, "net", out _));
        pair.Drive(TimeSpan.FromSeconds(5)); // the retransmission goes out and is answered from the cache
        Assert.NotNull(held);
        pair.Inject(held!);
        pair.Drive();
        AssertIkePair(pair);
        AssertChildPair(pair);
    }

    [Fact]
    public void The_responder_picks_the_child_whose_selectors_match_exactly_over_a_wider_one()
    {
        // "net" covers the subnets; "host" is one address pair inside them, configured after it.
        ConnectionConfig Conn(bool left) => Connection(left, extraChildren:
            [Child("host", left, [HostIn(LeftNet)], [HostIn(RightNet)])]);
        var pair = new EnginePair(MakeConfig(Conn(true)), MakeConfig(Conn(false)));
        pair.Establish();
        Assert.True(pair.Left.Initiate(pair.Now, "host", out string? error), error);
        pair.Drive();
        ChildSa right = pair.Events<ChildSaInstalled>(Side.Right).Last().ChildSa;
        Assert.Equal("host", right.Name);
        Assert.Equal([HostIn(RightNet)], right.LocalTs);
    }

    private static TrafficSelector HostIn(TrafficSelector net) => TrafficSelector.ForHost(net.StartAddress);

    [Theory]
    [InlineData("aes128gcm16")]
    [InlineData("aes128gcm16-ecp256")]
    [InlineData("aes256-sha256-modp2048")]
    public void Create_child_sa_for_a_second_child(string esp)
    {
        ConnectionConfig Conn(bool left) => Connection(left, extraChildren:
            [Child("net2", left, [Ts("198.51.100.128/27")], [Ts("198.51.100.160/27")], esp)]);
        var pair = new EnginePair(MakeConfig(Conn(true)), MakeConfig(Conn(false)));
        pair.Establish();
        AssertChildPair(pair);

        Assert.True(pair.Left.Initiate(pair.Now, "net2", out string? error), error);
        pair.Drive();
        (ChildSa l, ChildSa r) = AssertChildPair(pair, "net2");
        Assert.Equal(Negotiated(P(esp, ike: false)), l.Proposal.ToString());
        Assert.Equal([Ts("198.51.100.128/27")], l.LocalTs);
        Assert.Equal([Ts("198.51.100.160/27")], r.LocalTs);
        Assert.Same(pair.Events<IkeSaEstablished>(Side.Left).Single().IkeSa, l.IkeSa);
        Assert.Equal(2, l.IkeSa.Children.Count);
        Assert.Single(pair.Sent, p => Is(p, Side.Left, ExchangeType.CreateChildSa, false));
        ChildSa first = pair.Events<ChildSaInstalled>(Side.Left).First().ChildSa;
        Assert.NotEqual(first.OutboundEncryptionKey.ReadOnlySpan.ToArray(), l.OutboundEncryptionKey.ReadOnlySpan.ToArray());
        bool pfs = esp.Contains("ecp") || esp.Contains("modp");
        Assert.Equal(pfs, pair.LeftLog.Lines.Any(x => x.Text.Contains("sending CreateChildSa request") && x.Text.Contains("KeyExchange")));
        Assert.Equal(pfs, pair.RightLog.Lines.Any(x => x.Text.Contains("sending CreateChildSa response") && x.Text.Contains("KeyExchange")));
        Assert.Empty(pair.LeftLog.Warnings);
        Assert.Empty(pair.RightLog.Warnings);
    }

    [Fact]
    public void Terminate_deletes_the_ike_sa_and_its_children_on_both_sides()
    {
        var pair = Create();
        pair.Establish();
        (ChildSa l, ChildSa r) = AssertChildPair(pair);

        Assert.Equal(1, pair.Left.Terminate(pair.Now, "net"));
        pair.Drive();
        Assert.Same(l, Assert.Single(pair.Events<ChildSaRemoved>(Side.Left)).ChildSa);
        Assert.Same(r, Assert.Single(pair.Events<ChildSaRemoved>(Side.Right)).ChildSa);
        Assert.Single(pair.Events<IkeSaRemoved>(Side.Left));
        Assert.Single(pair.Events<IkeSaRemoved>(Side.Right));
        // Children go first.
        Assert.True(pair.LeftEvents.FindIndex(e => e is ChildSaRemoved) < pair.LeftEvents.FindIndex(e => e is IkeSaRemoved));
        Assert.True(pair.RightEvents.FindIndex(e => e is ChildSaRemoved) < pair.RightEvents.FindIndex(e => e is IkeSaRemoved));
        Assert.Empty(pair.Left.IkeSas);
        Assert.Empty(pair.Right.IkeSas);
        Assert.Single(pair.Sent, p => Is(p, Side.Left, ExchangeType.Informational, false));
        Assert.Single(pair.Sent, p => Is(p, Side.Right, ExchangeType.Informational, true));
        Assert.True(pair.RightLog.Has("IKE_SA deleted: deleted by peer"), pair.Dump());
    }

    [Fact]
    public void The_responder_can_terminate_too()
    {
        var pair = Create();
        pair.Establish();
        Assert.Equal(1, pair.Right.Terminate(pair.Now, "net"));
        pair.Drive();
        Assert.Single(pair.Events<ChildSaRemoved>(Side.Left));
        Assert.Single(pair.Events<IkeSaRemoved>(Side.Left));
        Assert.Single(pair.Events<IkeSaRemoved>(Side.Right));
        Assert.Empty(pair.Left.IkeSas);
        Assert.Empty(pair.Right.IkeSas);
    }

    [Fact]
    public void Simultaneous_terminate_removes_both_without_retransmissions()
    {
        var pair = Create();
        pair.Establish();
        pair.Left.Terminate(pair.Now, "net");
        pair.Right.Terminate(pair.Now, "net");
        pair.Drive(TimeSpan.FromMinutes(5));
        Assert.Single(pair.Events<IkeSaRemoved>(Side.Left));
        Assert.Single(pair.Events<IkeSaRemoved>(Side.Right));
        Assert.Single(pair.Events<ChildSaRemoved>(Side.Left));
        Assert.Single(pair.Events<ChildSaRemoved>(Side.Right));
        Assert.Empty(pair.Left.IkeSas);
        Assert.Empty(pair.Right.IkeSas);
        Assert.False(pair.LeftLog.Has("retransmitting") || pair.RightLog.Has("retransmitting"), pair.Dump());
    }

    [Fact]
    public void Delete_of_a_child_removes_it_on_both_sides_and_keeps_the_ike_sa()
    {
        var pair = Create();
        pair.Establish();
        (ChildSa l, ChildSa r) = AssertChildPair(pair);
        l.IkeSa.DeleteChild(pair.Now, l, "test");
        pair.Drive();
        Assert.Single(pair.Events<ChildSaRemoved>(Side.Left));
        Assert.Same(r, Assert.Single(pair.Events<ChildSaRemoved>(Side.Right)).ChildSa);
        Assert.Empty(l.IkeSa.Children);
        Assert.Empty(r.IkeSa.Children);
        Assert.Equal(IkeSaState.Established, l.IkeSa.State);
        Assert.Equal(IkeSaState.Established, r.IkeSa.State);
    }

    private static ConnectionConfig CloseActionStart(ConnectionConfig c) => new()
    {
        Name = c.Name, Location = c.Location, LocalAddrs = c.LocalAddrs, RemoteAddrs = c.RemoteAddrs, Proposals = c.Proposals,
        Local = c.Local, Remote = c.Remote,
        Children = c.Children.Select(ch => new ChildConfig
        {
            Name = ch.Name, Location = ch.Location, LocalTs = ch.LocalTs, RemoteTs = ch.RemoteTs, EspProposals = ch.EspProposals,
            CloseAction = CloseAction.Start,
        }).ToList(),
    };

    [Fact]
    public void Close_action_start_brings_a_child_the_peer_deleted_back_over_the_same_ike_sa()
    {
        var pair = new EnginePair(MakeConfig(CloseActionStart(Connection(true))), MakeConfig(Connection(false)));
        pair.Establish();
        (ChildSa l, ChildSa r) = AssertChildPair(pair);
        r.IkeSa.DeleteChild(pair.Now, r, "test");
        pair.Drive();
        Assert.True(l.ClosedByPeer);
        Assert.Single(pair.Sent, p => Is(p, Side.Left, ExchangeType.CreateChildSa, false));
        Assert.Equal(2, pair.Events<ChildSaInstalled>(Side.Left).Count());
        Assert.Single(l.IkeSa.Children);
        Assert.Contains(pair.LeftLog.Lines, x => x.Text.Contains("close_action = start"));
    }

    [Fact]
    public void Close_action_start_makes_a_new_ike_sa_when_the_peer_deleted_the_old_one()
    {
        var pair = new EnginePair(MakeConfig(CloseActionStart(Connection(true))), MakeConfig(Connection(false)));
        pair.Establish();
        (IkeSa li, IkeSa ri) = AssertIkePair(pair);
        ri.Delete(pair.Now, "test");
        pair.Drive();
        Assert.Equal(IkeSaState.Deleted, li.State);
        Assert.Equal(2, pair.Events<IkeSaEstablished>(Side.Left).Count());
        Assert.Equal(2, pair.Events<ChildSaInstalled>(Side.Left).Count());
    }

    [Fact]
    public void Without_close_action_a_deleted_child_stays_deleted()
    {
        var pair = Create();
        pair.Establish();
        (ChildSa l, ChildSa r) = AssertChildPair(pair);
        r.IkeSa.DeleteChild(pair.Now, r, "test");
        pair.Drive();
        Assert.Single(pair.Events<ChildSaInstalled>(Side.Left));
        Assert.DoesNotContain(pair.Sent, p => Is(p, Side.Left, ExchangeType.CreateChildSa, false));
    }

    [Fact]
    public void Acquire_initiates_once_while_the_first_attempt_is_on_its_way()
    {
        var pair = Create();
        pair.Left.Acquire(pair.Now, "net");
        pair.Left.Acquire(pair.Now, "net");
        pair.Drive();
        Assert.Single(pair.Events<IkeSaEstablished>(Side.Left));
        pair.Left.Acquire(pair.Now, "net"); // the child is up: nothing to do
        pair.Drive();
        Assert.Single(pair.Events<ChildSaInstalled>(Side.Left));
        Assert.Single(pair.LeftLog.Lines, x => x.Text.Contains("matched its trap policy"));
    }

    [Fact]
    public void An_empty_informational_is_answered()
    {
        var pair = Create();
        pair.Establish();
        (IkeSa li, IkeSa ri) = AssertIkePair(pair);
        li.CheckLiveness(pair.Now);
        ri.CheckLiveness(pair.Now);
        pair.Drive();
        Assert.Single(pair.Sent, p => Is(p, Side.Right, ExchangeType.Informational, true));
        Assert.Single(pair.Sent, p => Is(p, Side.Left, ExchangeType.Informational, true));
        Assert.Equal(IkeSaState.Established, li.State);
        Assert.Equal(IkeSaState.Established, ri.State);
        pair.AssertNothingPending(pair.Left);
        pair.AssertNothingPending(pair.Right);
        Assert.Empty(pair.LeftLog.Warnings);
        Assert.Empty(pair.RightLog.Warnings);
        // A second check uses the next message ID and is answered as well.
        li.CheckLiveness(pair.Now);
        pair.Drive();
        Assert.Equal(2, pair.Sent.Count(p => Is(p, Side.Right, ExchangeType.Informational, true)));
    }

    [Fact]
    public void An_unanswered_liveness_check_removes_the_ike_sa()
    {
        var pair = Create();
        pair.Establish();
        (IkeSa li, _) = AssertIkePair(pair);
        pair.Intercept = p => p.From == Side.Left ? [] : [p];
        li.CheckLiveness(pair.Now);
        pair.Drive(TimeSpan.FromMinutes(10));
        Assert.Single(pair.Events<ChildSaRemoved>(Side.Left));
        Assert.Contains("giving up", Assert.Single(pair.Events<IkeSaRemoved>(Side.Left)).Reason);
    }
}
