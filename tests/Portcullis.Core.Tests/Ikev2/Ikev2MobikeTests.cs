using System.Net;
using Portcullis.Core.Config;
using Portcullis.Core.Ikev2;
using Portcullis.Core.Ikev2.Wire;
using static Portcullis.Core.Tests.Ikev2.EnginePair;

namespace Portcullis.Core.Tests.Ikev2;

/// <summary>
/// MOBIKE (RFC 4555) with two engines under a fake clock: left is the original initiator (the mobile client), right the
/// gateway. Left moves with <see cref="IkeEngine.LocalAddressesChanged"/>; <see cref="EnginePair.LeftAddresses"/> says
/// which addresses its host has, so packets to an address it gave up are lost as they would be.
/// </summary>
public class Ikev2MobikeTests
{
    private static readonly IPAddress NewAddress = IPAddress.Parse("192.0.2.11");

    private static ConnectionConfig Mobike(ConnectionConfig connection, bool on)
    {
        typeof(ConnectionConfig).GetProperty(nameof(ConnectionConfig.Mobike))!.SetValue(connection, on);
        return connection;
    }

    private static EnginePair Pair(bool left = true, bool right = true) =>
        new(MakeConfig(Mobike(Connection(left: true), left)), MakeConfig(Mobike(Connection(left: false), right)));

    private static IkeSa Ike(IkeEngine e) => Assert.Single(e.IkeSas, s => s.State == IkeSaState.Established && s.RekeyedTo is null);

    private static bool Is(Packet p, Side from, ExchangeType exchange, bool response) =>
        p.From == from && p.Header is { } h && h.ExchangeType == exchange && h.IsResponse == response;

    /// <summary>The payloads of a protected message, decrypted with the receiving IKE SA's keys.</summary>
    private static IkeMessage Decode(Packet p, IkeSa receiver)
    {
        Assert.Equal(MessageError.None, IkeMessage.TryDecode(p.Data, p.Header!.Value, receiver.Protection, out IkeMessage? message, out ParseError error, out _));
        return message!;
    }

    /// <summary>Left's host loses 192.0.2.1 and has <paramref name="address"/> instead, and tells its engine.</summary>
    private static void MoveLeft(EnginePair pair, IPAddress address)
    {
        pair.LeftAddresses.Clear();
        pair.LeftAddresses.Add(address);
        pair.Left.LocalAddressesChanged(pair.Now, [address]);
    }

    private static void AssertNoWarnings(EnginePair pair)
    {
        Assert.Empty(pair.LeftLog.Warnings);
        Assert.Empty(pair.RightLog.Warnings);
    }

    // --- Negotiation (§3.3) ---

    [Theory]
    [InlineData(true, true, true)]
    [InlineData(false, true, false)]
    [InlineData(true, false, false)]
    [InlineData(false, false, false)]
    public void Mobike_is_negotiated_only_when_both_sides_allow_it(bool left, bool right, bool expected)
    {
        var pair = Pair(left, right);
        pair.Establish();
        IkeSa l = Ike(pair.Left), r = Ike(pair.Right);
        Assert.Equal(expected, l.MobikeEnabled);
        Assert.Equal(expected, r.MobikeEnabled);
        Assert.True(l.OriginalInitiator);
        Assert.False(r.OriginalInitiator);
        // The initiator offers MOBIKE_SUPPORTED when configured; the responder answers only an offer it takes.
        Assert.Equal(left, pair.LeftLog.Lines.Any(x => x.Text.Contains("sending IkeAuth request") && x.Text.Contains("N(MOBIKE_SUPPORTED)")));
        Assert.Equal(expected, pair.RightLog.Lines.Any(x => x.Text.Contains("sending IkeAuth response") && x.Text.Contains("N(MOBIKE_SUPPORTED)")));
        // strongSwan's rule: an initiator that offers MOBIKE moves IKE to 4500 after IKE_SA_INIT, NAT or not.
        Packet auth = Assert.Single(pair.Sent, p => Is(p, Side.Left, ExchangeType.IkeAuth, response: false));
        Assert.Equal(left ? 4500 : 500, auth.Source.Port);
        Assert.Equal(left ? 4500 : 500, auth.Destination.Port);
        // No NAT: ESP stays plain either way.
        Assert.False(Assert.Single(l.Children).UdpEncapsulation);
        AssertNoWarnings(pair);
    }

    // --- The peer moves (§3.5): the responder's side ---

    [Fact]
    public void Update_sa_addresses_moves_the_ike_and_child_sas_and_answers_nat_detection_and_cookie2()
    {
        var pair = Pair();
        pair.Establish();
        IkeSa l = Ike(pair.Left), r = Ike(pair.Right);
        ChildSa lc = Assert.Single(l.Children), rc = Assert.Single(r.Children);
        (uint spiIn, uint spiOut) = (rc.InboundSpi, rc.OutboundSpi);
        Assert.Equal(new IPEndPoint(LeftAddress, 4500), r.RemoteEndpoint);
        int sent = pair.Sent.Count;

        MoveLeft(pair, NewAddress);
        pair.Drive();

        var moved = new IPEndPoint(NewAddress, 4500);
        // The gateway moved the IKE SA and, through it, the CHILD SA: same SAs, same SPIs, no rekey.
        Assert.Same(r, Ike(pair.Right));
        Assert.Equal(moved, r.RemoteEndpoint);
        Assert.Same(rc, Assert.Single(r.Children));
        Assert.Equal(moved, rc.RemoteEndpoint);
        Assert.Equal((spiIn, spiOut), (rc.InboundSpi, rc.OutboundSpi));
        IkeSaAddressesUpdated e = Assert.Single(pair.Events<IkeSaAddressesUpdated>(Side.Right));
        Assert.Same(r, e.IkeSa);
        Assert.Equal((new IPEndPoint(LeftAddress, 4500), moved), (e.OldRemote, e.NewRemote));
        Assert.True(pair.RightLog.Has($"net[{r.Uid}] peer moved 192.0.2.1[4500] -> 192.0.2.11[4500] (MOBIKE)"), pair.Dump());
        Assert.Empty(pair.Events<ChildSaInstalled>(Side.Right).Skip(1));
        // The client moved too once the gateway answered.
        Assert.Equal(moved, l.LocalEndpoint);
        Assert.Equal(moved, lc.LocalEndpoint);
        IkeSaAddressesUpdated le = Assert.Single(pair.Events<IkeSaAddressesUpdated>(Side.Left));
        Assert.Equal((new IPEndPoint(LeftAddress, 4500), moved), (le.OldLocal, le.NewLocal));
        Assert.True(pair.LeftLog.Has("local address 192.0.2.1[4500] is gone; moving to 192.0.2.11[4500]"), pair.Dump());
        Assert.True(pair.LeftLog.Has("moved 192.0.2.1[4500] -> 192.0.2.11[4500] (MOBIKE), confirmed by the peer 192.0.2.2[4500]"), pair.Dump());

        // On the wire: one INFORMATIONAL exchange from the new address, answered there.
        Packet request = Assert.Single(pair.Sent.Skip(sent), p => Is(p, Side.Left, ExchangeType.Informational, response: false));
        Packet response = Assert.Single(pair.Sent.Skip(sent), p => Is(p, Side.Right, ExchangeType.Informational, response: true));
        Assert.Equal(moved, request.Source);
        Assert.Equal(moved, response.Destination);
        IkeMessage update = Decode(request, r), answer = Decode(response, l);
        Assert.NotNull(update.Notify(NotifyType.UpdateSaAddresses));
        Assert.NotNull(update.Notify(NotifyType.NoAdditionalAddresses));
        NotifyPayload cookie2 = Assert.IsType<NotifyPayload>(update.Notify(NotifyType.Cookie2));
        Assert.Equal(Cookie2.Size, cookie2.Data.Length);
        // §3.7: the COOKIE2 comes back unchanged.
        Assert.True(answer.Notify(NotifyType.Cookie2)!.Data.SequenceEqual(cookie2.Data));
        // §3.5: the answer carries the gateway's NAT detection for the new path, which shows no NAT.
        Assert.True(answer.Notify(NotifyType.NatDetectionSourceIp)!.Data.SequenceEqual(NatDetection.Hash(l.InitiatorSpi, l.ResponderSpi, new IPEndPoint(RightAddress, 4500))));
        Assert.True(answer.Notify(NotifyType.NatDetectionDestinationIp)!.Data.SequenceEqual(NatDetection.Hash(l.InitiatorSpi, l.ResponderSpi, moved)));
        Assert.False(r.UdpEncapsulation || l.UdpEncapsulation);
        Assert.Empty(r.PeerAdditionalAddresses);

        // The SA goes on working from there: a liveness check each way.
        r.CheckLiveness(pair.Now);
        l.CheckLiveness(pair.Now);
        pair.Drive();
        Assert.Equal(IkeSaState.Established, r.State);
        Assert.Equal(IkeSaState.Established, l.State);
        AssertNoWarnings(pair);
        pair.AssertNothingPending(pair.Left);
        pair.AssertNothingPending(pair.Right);
    }

    [Fact]
    public void A_request_from_a_new_address_without_update_sa_addresses_is_answered_there_but_moves_nothing()
    {
        var pair = Pair();
        pair.Establish();
        IkeSa l = Ike(pair.Left), r = Ike(pair.Right);
        IPEndPoint before = r.RemoteEndpoint;
        int sent = pair.Sent.Count;
        // A path probe: left's liveness check leaves from a second address of its host.
        pair.LeftAddresses.Add(NewAddress);
        var probe = new IPEndPoint(NewAddress, 4500);
        pair.Intercept = p => p.From == Side.Left ? [p with { Source = probe }] : [p];

        l.CheckLiveness(pair.Now);
        pair.Drive();

        Packet response = Assert.Single(pair.Delivered.Skip(sent), p => Is(p, Side.Right, ExchangeType.Informational, response: true));
        Assert.Equal(probe, response.Destination);
        Assert.Equal(before, r.RemoteEndpoint);
        Assert.Empty(pair.Events<IkeSaAddressesUpdated>(Side.Right));
        Assert.Empty(pair.Events<ChildSaEndpointsChanged>(Side.Right));
        Assert.False(pair.RightLog.Has("peer moved"));
        Assert.Equal(IkeSaState.Established, l.State);
        AssertNoWarnings(pair);
    }

    [Fact]
    public void Update_sa_addresses_on_an_ike_sa_without_mobike_is_ignored_with_a_warning()
    {
        // Left does not do MOBIKE (so stays on port 500), yet sends UPDATE_SA_ADDRESSES: a misbehaving peer.
        var pair = Pair(left: false, right: true);
        pair.Establish();
        IkeSa l = Ike(pair.Left), r = Ike(pair.Right);
        Assert.False(r.MobikeEnabled);
        IPEndPoint before = r.RemoteEndpoint;
        pair.LeftAddresses.Clear();
        pair.LeftAddresses.Add(NewAddress);

        l.RequestAddressUpdate(pair.Now, NewAddress);
        pair.Drive();

        Assert.Equal(before, r.RemoteEndpoint);
        Assert.Empty(pair.Events<IkeSaAddressesUpdated>(Side.Right));
        string warning = Assert.Single(pair.RightLog.Warnings);
        Assert.Contains($"net[{r.Uid}] UPDATE_SA_ADDRESSES from 192.0.2.11[500] ignored: MOBIKE was not negotiated", warning);
        // The gateway answered without the COOKIE2, so the sender closes its IKE SA (§3.7).
        Assert.True(pair.LeftLog.Has("does not echo our COOKIE2"), pair.Dump());
        Assert.Equal(IkeSaState.Deleted, l.State);
    }

    [Fact]
    public void A_client_without_mobike_does_not_move_when_its_address_goes()
    {
        var pair = Pair(left: true, right: false);
        pair.Establish();
        int sent = pair.Sent.Count;
        MoveLeft(pair, NewAddress);
        Assert.False(pair.Pump());
        Assert.Equal(sent, pair.Sent.Count);
        Assert.Equal(new IPEndPoint(LeftAddress, 4500), Ike(pair.Left).LocalEndpoint);
    }

    [Fact]
    public void Nat_appearing_after_the_move_switches_esp_to_udp_encapsulation()
    {
        var pair = Pair();
        pair.Establish();
        IkeSa l = Ike(pair.Left), r = Ike(pair.Right);
        Assert.False(r.UdpEncapsulation);
        // The client's new network is behind a NAT: 198.51.100.2:4500 shows up as 203.0.113.7:31000.
        IPAddress inside = IPAddress.Parse("198.51.100.2");
        var insideEp = new IPEndPoint(inside, 4500);
        var outside = new IPEndPoint(IPAddress.Parse("203.0.113.7"), 31000);
        pair.Intercept = p =>
            p.From == Side.Left && p.Source.Equals(insideEp) ? [p with { Source = outside }]
            : p.From == Side.Right && p.Destination.Equals(outside) ? [p with { Destination = insideEp }]
            : [p];

        MoveLeft(pair, inside);
        pair.Drive(TimeSpan.FromSeconds(1));

        Assert.Equal(outside, r.RemoteEndpoint);
        Assert.True(r.RemoteBehindNat);
        Assert.True(r.UdpEncapsulation);
        Assert.True(Assert.Single(r.Children).UdpEncapsulation);
        Assert.True(l.LocalBehindNat);
        Assert.True(Assert.Single(l.Children).UdpEncapsulation);
        Assert.Equal(insideEp, l.LocalEndpoint);
        Assert.True(pair.RightLog.Has("peer moved 192.0.2.1[4500] -> 203.0.113.7[31000] (MOBIKE), NAT detected: ESP in UDP"), pair.Dump());
        Assert.Single(pair.Events<IkeSaAddressesUpdated>(Side.Right));
        Assert.Single(pair.Events<IkeSaAddressesUpdated>(Side.Left));
        // Behind the NAT the client now keeps the mapping open.
        int sent = pair.Sent.Count;
        pair.Drive(TimeSpan.FromSeconds(25));
        Assert.Contains(pair.Sent.Skip(sent), p => p.From == Side.Left && p.IsKeepalive && p.Source.Equals(insideEp));
        AssertNoWarnings(pair);
    }

    [Fact]
    public void A_retransmitted_update_sa_addresses_is_answered_from_the_cache()
    {
        var pair = Pair();
        pair.Establish();
        IkeSa r = Ike(pair.Right);
        int sent = pair.Sent.Count;
        bool dropped = false;
        // The gateway's first answer is lost: the client retransmits, the gateway resends its answer, unchanged.
        pair.Intercept = p =>
        {
            if (!dropped && Is(p, Side.Right, ExchangeType.Informational, response: true)) { dropped = true; return []; }
            return [p];
        };

        MoveLeft(pair, NewAddress);
        pair.Drive(TimeSpan.FromSeconds(10));

        Packet[] requests = pair.Sent.Skip(sent).Where(p => Is(p, Side.Left, ExchangeType.Informational, response: false)).ToArray();
        Packet[] responses = pair.Sent.Skip(sent).Where(p => Is(p, Side.Right, ExchangeType.Informational, response: true)).ToArray();
        Assert.Equal(2, requests.Length);
        Assert.Equal(requests[0].Data, requests[1].Data);
        Assert.Equal(2, responses.Length);
        Assert.Equal(responses[0].Data, responses[1].Data);
        Assert.All(responses, p => Assert.Equal(new IPEndPoint(NewAddress, 4500), p.Destination));
        Assert.True(pair.LeftLog.Has("retransmitting Informational request"), pair.Dump());
        // Moved once, on the first copy; the second changed nothing.
        Assert.Single(pair.Events<IkeSaAddressesUpdated>(Side.Right));
        Assert.Single(pair.RightLog.Lines, x => x.Text.Contains("peer moved"));
        Assert.Single(pair.Events<IkeSaAddressesUpdated>(Side.Left));
        Assert.Equal(new IPEndPoint(NewAddress, 4500), r.RemoteEndpoint);
        AssertNoWarnings(pair);
    }

    // --- Our own move (the original initiator) ---

    [Fact]
    public void Nothing_moves_while_the_local_address_is_still_there_and_the_responder_never_moves_itself()
    {
        var pair = Pair();
        pair.Establish();
        int sent = pair.Sent.Count;
        pair.LeftAddresses.Add(NewAddress);
        pair.Left.LocalAddressesChanged(pair.Now, [LeftAddress, NewAddress]);
        // The gateway lost its address: it is not the original initiator, so it does not decide (§3.1).
        pair.Right.LocalAddressesChanged(pair.Now, [IPAddress.Parse("192.0.2.99")]);
        Assert.False(pair.Pump());
        Assert.Equal(sent, pair.Sent.Count);
        Assert.Equal(new IPEndPoint(RightAddress, 4500), Ike(pair.Right).LocalEndpoint);
    }

    [Fact]
    public void With_no_address_left_the_client_waits_and_moves_when_one_appears()
    {
        var pair = Pair();
        pair.Establish();
        int sent = pair.Sent.Count;
        pair.LeftAddresses.Clear();
        pair.Left.LocalAddressesChanged(pair.Now, []);
        Assert.False(pair.Pump());
        Assert.Equal(sent, pair.Sent.Count);
        Assert.Contains("local address 192.0.2.1 is gone and no other address can reach 192.0.2.2; waiting for one", Assert.Single(pair.LeftLog.Warnings));

        pair.Now += TimeSpan.FromSeconds(3);
        MoveLeft(pair, NewAddress);
        pair.Drive();
        Assert.Equal(new IPEndPoint(NewAddress, 4500), Ike(pair.Right).RemoteEndpoint);
        Assert.Single(pair.Events<IkeSaAddressesUpdated>(Side.Left));
    }

    [Fact]
    public void The_source_address_towards_the_peer_is_preferred_and_other_addresses_are_announced()
    {
        IPAddress other = IPAddress.Parse("192.0.2.12");
        var leftOptions = new IkeEngineOptions { SourceAddressFor = _ => other };
        var pair = new EnginePair(MakeConfig(Connection(left: true)), MakeConfig(Connection(left: false)), leftOptions);
        pair.Establish();
        pair.LeftAddresses.Clear();
        pair.LeftAddresses.UnionWith([NewAddress, other]);
        pair.Left.LocalAddressesChanged(pair.Now, [NewAddress, other]);
        pair.Drive();
        IkeSa r = Ike(pair.Right);
        Assert.Equal(new IPEndPoint(other, 4500), r.RemoteEndpoint);
        // §3.6: the update listed the client's other address; the gateway keeps it.
        Assert.Equal([NewAddress], r.PeerAdditionalAddresses);
    }

    [Fact]
    public void A_rekeyed_ike_sa_keeps_mobike_and_still_moves()
    {
        var pair = Pair();
        pair.Establish();
        Ike(pair.Right).RekeyIke(pair.Now);
        pair.Drive();
        IkeSa l = Ike(pair.Left), r = Ike(pair.Right);
        // The gateway started the rekey, yet the client stays the original initiator that decides about addresses.
        Assert.False(l.IsInitiator);
        Assert.True(l.OriginalInitiator && l.MobikeEnabled && r.MobikeEnabled);

        MoveLeft(pair, NewAddress);
        pair.Drive();
        Assert.Equal(new IPEndPoint(NewAddress, 4500), r.RemoteEndpoint);
        Assert.Equal(new IPEndPoint(NewAddress, 4500), Assert.Single(r.Children).RemoteEndpoint);
        AssertNoWarnings(pair);
    }

    // --- NO_NATS_ALLOWED (§3.9), with a hand-made request from the client ---

    /// <summary>Left's next request, built by hand (message ID 2: the first after IKE_AUTH) and sent from <paramref name="from"/>.</summary>
    private static void InjectLeftRequest(EnginePair pair, IPEndPoint from, params Payload[] payloads)
    {
        IkeSa l = Ike(pair.Left);
        var header = new IkeHeader(l.InitiatorSpi, l.ResponderSpi, PayloadType.None, IkeHeader.Ikev2Version, ExchangeType.Informational, IkeHeaderFlags.Initiator, 2, 0);
        pair.Inject(new Packet(Side.Left, from, new IPEndPoint(RightAddress, 4500), new IkeMessage(header, payloads).Encode(l.Protection), true) { At = pair.Now });
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void No_nats_allowed_is_checked_against_the_headers(bool matches)
    {
        var pair = Pair();
        pair.Establish();
        IkeSa l = Ike(pair.Left), r = Ike(pair.Right);
        pair.LeftAddresses.Add(NewAddress);
        var from = new IPEndPoint(NewAddress, 4500);
        // What the client believes it sent; a NAT would have changed the source on the way.
        var claimed = new NoNatsAllowed(matches ? from : new IPEndPoint(IPAddress.Parse("198.51.100.2"), 4500), new IPEndPoint(RightAddress, 4500));
        int sent = pair.Sent.Count;

        InjectLeftRequest(pair, from, NotifyPayload.Of(NotifyType.UpdateSaAddresses), claimed.ToNotify());
        pair.Pump();

        Packet response = Assert.Single(pair.Sent.Skip(sent), p => Is(p, Side.Right, ExchangeType.Informational, response: true));
        IkeMessage answer = Decode(response, l);
        if (matches)
        {
            Assert.Equal(from, r.RemoteEndpoint);
            Assert.Null(answer.ErrorNotify);
            Assert.Empty(pair.RightLog.Warnings);
        }
        else
        {
            Assert.Equal(new IPEndPoint(LeftAddress, 4500), r.RemoteEndpoint);
            Assert.Equal(NotifyType.UnexpectedNatDetected, answer.ErrorNotify?.NotifyType);
            Assert.Contains("NO_NATS_ALLOWED says it left 198.51.100.2[4500] for 192.0.2.2[4500]", Assert.Single(pair.RightLog.Warnings));
            Assert.Empty(pair.Events<IkeSaAddressesUpdated>(Side.Right));
        }
    }

    [Fact]
    public void The_peers_additional_addresses_are_kept_and_a_bad_one_is_a_warning()
    {
        var pair = Pair();
        pair.Establish();
        IkeSa r = Ike(pair.Right);
        InjectLeftRequest(pair, new IPEndPoint(LeftAddress, 4500),
            AdditionalAddress.ToNotify(IPAddress.Parse("198.51.100.7")), AdditionalAddress.ToNotify(IPAddress.Parse("2001:db8::7")),
            new NotifyPayload(NotifyType.AdditionalIp4Address, [1, 2, 3]));
        pair.Pump();
        Assert.Equal([IPAddress.Parse("198.51.100.7"), IPAddress.Parse("2001:db8::7")], r.PeerAdditionalAddresses);
        Assert.Contains("ADDITIONAL_IP4_ADDRESS of 3 bytes, must be 4", Assert.Single(pair.RightLog.Warnings));
        // No UPDATE_SA_ADDRESSES: nothing moved.
        Assert.Equal(new IPEndPoint(LeftAddress, 4500), r.RemoteEndpoint);
    }

    // --- Wire formats (§4.2) ---

    [Theory]
    [InlineData("192.0.2.11", 4500, "192.0.2.2", 4500, "c000020bc00002021194 1194")]
    [InlineData("2001:db8::1", 4500, "2001:db8::2", 500, "20010db8000000000000000000000001 20010db8000000000000000000000002 1194 01f4")]
    public void No_nats_allowed_data_round_trips(string source, int sourcePort, string destination, int destinationPort, string hex)
    {
        var value = new NoNatsAllowed(new IPEndPoint(IPAddress.Parse(source), sourcePort), new IPEndPoint(IPAddress.Parse(destination), destinationPort));
        NotifyPayload notify = value.ToNotify();
        Assert.Equal(NotifyType.NoNatsAllowed, notify.NotifyType);
        Assert.Equal(hex.Replace(" ", ""), Convert.ToHexStringLower(notify.Data));
        Assert.True(NoNatsAllowed.TryParse(notify.Data, out NoNatsAllowed parsed, out _));
        Assert.Equal(value, parsed);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(11)]
    [InlineData(13)]
    [InlineData(35)]
    public void No_nats_allowed_of_a_wrong_length_is_a_parse_error(int length)
    {
        Assert.False(NoNatsAllowed.TryParse(new byte[length], out _, out ParseError error));
        Assert.Equal("Notification Data", error.Field);
    }

    [Theory]
    [InlineData(7, false)]
    [InlineData(8, true)]
    [InlineData(64, true)]
    [InlineData(65, false)]
    public void Cookie2_is_8_to_64_bytes(int length, bool ok)
    {
        Assert.Equal(ok, Cookie2.TryParse(new NotifyPayload(NotifyType.Cookie2, new byte[length]), out byte[]? cookie, out _));
        Assert.Equal(ok ? length : null, cookie?.Length);
    }

    [Fact]
    public void Additional_addresses_round_trip_by_family()
    {
        foreach (string text in new[] { "198.51.100.7", "2001:db8::7" })
        {
            NotifyPayload n = AdditionalAddress.ToNotify(IPAddress.Parse(text));
            Assert.Equal(text.Contains(':') ? NotifyType.AdditionalIp6Address : NotifyType.AdditionalIp4Address, n.NotifyType);
            Assert.True(AdditionalAddress.TryParse(n, out IPAddress? address, out _));
            Assert.Equal(IPAddress.Parse(text), address);
        }
        Assert.False(AdditionalAddress.TryParse(new NotifyPayload(NotifyType.AdditionalIp6Address, new byte[4]), out _, out ParseError error));
        Assert.Contains("must be 16", error.Reason);
    }
}
