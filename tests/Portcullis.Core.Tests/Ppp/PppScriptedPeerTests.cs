using System.Net;
using System.Text;
using Portcullis.Core.Crypto;
using Portcullis.Core.Ppp;
using Portcullis.Core.Tests.Ikev2;

namespace Portcullis.Core.Tests.Ppp;

/// <summary>
/// The server against hand-written frames of a peer that behaves like the Windows L2TP client (its usual options:
/// Callback, PFC/ACFC, NBNS, VJ, IPv6CP, CCP, Identification), with RFC 2759 §9.2's MS-CHAPv2 values; and the same
/// vector through a server/client pair.
/// </summary>
public class PppScriptedPeerTests
{
    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", ""));

    // RFC 2759 §9.2.
    private static readonly byte[] AuthenticatorChallenge = Hex("5B 5D 7C 7D 7B 3F 2F 3E 3C 2C 60 21 32 26 26 28");
    private static readonly byte[] PeerChallenge = Hex("21 40 23 24 25 5E 26 2A 28 29 5F 2B 3A 33 7C 7E");
    private static readonly byte[] NtResponse = Hex("82 30 9E CD 8D 70 8B 5E A0 8F AA 39 81 CD 83 54 42 33 11 4A 3D 85 D6 DF");
    private const string AuthenticatorResponse = "S=407A5589115FD0D6209F510FE9C04566932CDA56";

    private readonly CapturingLogger _log = new("server");
    private readonly PppSession _server;
    private readonly ScriptedRandom _random = new(0x10);
    private readonly DateTimeOffset _now = DateTimeOffset.UnixEpoch;
    private readonly List<PppEvent> _events = [];

    public PppScriptedPeerTests()
    {
        _random.Challenges.Enqueue(AuthenticatorChallenge);
        _server = new PppSession(new PppOptions
        {
            Name = "l2tp[1]",
            FindPassword = name => PppPair.Users.GetValueOrDefault(name),
            LocalAddress = PppPair.ServerAddress,
            AssignPeerAddress = _ => PppPair.ClientAddress,
            Dns = [PppPair.Dns1],
            Random = _random.Fill,
        }, _log);
    }

    private byte[] Exchange(string frameHex)
    {
        _server.HandleFrame(_now, Hex(frameHex));
        while (_server.TryDequeueEvent(out PppEvent e)) _events.Add(e);
        return Assert.Single(Drain());
    }

    private List<byte[]> Drain()
    {
        var frames = new List<byte[]>();
        while (_server.TryDequeueFrame(out byte[] f)) frames.Add(f);
        while (_server.TryDequeueEvent(out PppEvent e)) _events.Add(e);
        return frames;
    }

    [Fact]
    public void WindowsLikeClientFromLcpToIpAndTerminate()
    {
        _server.Start(_now);
        // MRU 1400, MS-CHAPv2, Magic-Number 0x11121314 (the scripted random).
        byte[] ours = Assert.Single(Drain());
        Assert.Equal(Hex("ff03c021 01 01 0013 01040578 0305c22381 050611121314"), ours);

        // Windows asks for MRU 1400, a Magic-Number, PFC, ACFC and Callback (CBCP): Callback is rejected.
        Assert.Equal(Hex("ff03c021 04 00 0007 0d0306"), Exchange("ff03c021 01 00 0015 01040578 0506 0a0b0c0d 0702 0802 0d0306"));
        Assert.Equal(Hex("ff03c021 02 01 0012 01040578 05060a0b0c0d 0702 0802"), Exchange("ff03c021 01 01 0012 01040578 05060a0b0c0d 0702 0802"));
        Assert.Equal(PppState.AckSent, _server.LcpState);

        // It acknowledges ours: LCP is up and the MS-CHAPv2 Challenge goes out (Identifier from the random: 0x15).
        byte[] challenge = Exchange("ff03c021 02 01 0013 01040578 0305c22381 050611121314");
        Assert.Equal(PppState.Opened, _server.LcpState);
        Assert.Equal(PppPhase.Authenticate, _server.Phase);
        Assert.Equal(Hex("ff03c223 01 15 001f 10").Concat(AuthenticatorChallenge).Concat("Portcullis"u8.ToArray()), challenge);

        // Identification needs no answer.
        _server.HandleFrame(_now, [.. Hex("ff03c021 0c 02 0012 0a0b0c0d"), .. "MSRASV5.20"u8]);
        Assert.Empty(Drain());

        // The Response of RFC 2759 §9.2 ("User", "clientPass").
        byte[] value = MsChapV2ResponseValue.Build(PeerChallenge, NtResponse);
        byte[] response = ChapPacket.Response(0x15, value, "User"u8).ToArray();
        List<byte[]> afterResponse = SendAndDrain([0xff, 0x03, 0xc2, 0x23, .. response]);
        Assert.Equal(2, afterResponse.Count);
        Assert.True(ChapPacket.TryParse(afterResponse[0].AsSpan(4), out ChapPacket? success, out _));
        Assert.Equal(ChapCode.Success, success!.Code);
        Assert.Equal($"{AuthenticatorResponse} M=Welcome to Portcullis", Encoding.ASCII.GetString(success.Message));
        Assert.Equal(new PppAuthenticated("User", PppAuthenticationProtocol.MsChapV2), Assert.Single(_events.OfType<PppAuthenticated>()));
        // Then our IPCP Configure-Request with our address.
        Assert.Equal(Hex("ff038021 01 01 000a 0306c6120001"), afterResponse[1]);
        Assert.True(_log.Has("l2tp[1] PPP user 'User' authenticated with MS-CHAPv2"));

        // A repeated Response (our Success lost) gets the Success again.
        Assert.Equal(afterResponse[0], Assert.Single(SendAndDrain([0xff, 0x03, 0xc2, 0x23, .. response])));

        // IPv6CP and CCP: Protocol-Reject.
        Assert.Equal(Hex("ff03c021 08 02 0014 8057 0101000e010a1122334455667788"), Exchange("ff038057 0101000e 010a1122334455667788"));
        Assert.Equal(Hex("ff03c021 08 03 0010 80fd 0101000a 120600000001"), Exchange("ff0380fd 0101000a 120600000001"));

        // IPCP: VJ, NBNS and the second DNS (none configured) rejected, then address and DNS Nak'ed, then acknowledged.
        Assert.Equal(Hex("ff038021 04 01 001c 0206002d0f01 820600000000 830600000000 840600000000"),
            Exchange("ff038021 01 01 0028 0206002d0f01 030600000000 810600000000 820600000000 830600000000 840600000000"));
        Assert.Equal(Hex("ff038021 03 02 0010 0306c6126505 8106c6120035"), Exchange("ff038021 01 02 0010 030600000000 810600000000"));
        Assert.Equal(Hex("ff038021 02 03 0010 0306c6126505 8106c6120035"), Exchange("ff038021 01 03 0010 0306c6126505 8106c6120035"));
        Assert.Empty(SendAndDrain(Hex("ff038021 02 01 000a 0306c6120001")));
        PppNetworkUp up = Assert.Single(_events.OfType<PppNetworkUp>());
        Assert.Equal(PppPair.ClientAddress, up.PeerAddress);
        Assert.Equal([PppPair.Dns1], up.Dns);
        Assert.True(_log.Has("l2tp[1] IPCP: peer 198.18.101.5, local 198.18.0.1, DNS 198.18.0.53, NBNS none, MTU 1400"));

        // IP flows (Windows compresses the protocol once PFC is agreed; the frame still parses).
        byte[] ping = Hex("4500001c00010000400189b5c6126505c61200010800f7fe00010000");
        Assert.True(_server.TryGetIpPacket([0xff, 0x03, 0x21, .. ping], out ReadOnlySpan<byte> ip));
        Assert.Equal(ping, ip.ToArray());

        // Echo-Request from the peer: answered with our magic number.
        Assert.Equal(Hex("ff03c021 0a 07 000c 11121314 c0ffee00"), Exchange("ff03c021 09 07 000c 0a0b0c0d c0ffee00"));

        // Windows hangs up with a Terminate-Request.
        Assert.Equal(Hex("ff03c021 06 08 0004"), Exchange("ff03c021 05 08 0004"));
        PppDown down = Assert.Single(_events.OfType<PppDown>());
        Assert.Equal("peer sent LCP Terminate-Request", down.Reason);
        Assert.Equal(PppPair.ClientAddress, down.PeerAddress);
        Assert.Equal("User", down.User);
        Assert.False(_server.TryGetIpPacket([0xff, 0x03, 0x00, 0x21, .. ping], out _));
        Assert.Empty(_log.Warnings);
    }

    private List<byte[]> SendAndDrain(byte[] frame)
    {
        _server.HandleFrame(_now, frame);
        return Drain();
    }

    [Fact]
    public void Rfc2759VectorThroughAServerClientPair()
    {
        using var pair = new PppPair(client: o => PppPair.WithPassword(o with { UserName = "User" }, "clientPass"));
        pair.ServerRandom.Challenges.Enqueue(AuthenticatorChallenge);
        pair.ClientRandom.Challenges.Enqueue(PeerChallenge);
        pair.Establish();
        Assert.True(pair.BothUp, pair.ToString());

        WireFrame responseFrame = Assert.Single(pair.Wire, f => f.From == PppSide.Client && f.Data[2] == 0xC2 && f.Data[4] == (byte)ChapCode.Response);
        Assert.True(ChapPacket.TryParse(responseFrame.Data.AsSpan(4), out ChapPacket? response, out _));
        Assert.Equal(MsChapV2ResponseValue.Size, response!.Value.Length);
        Assert.True(MsChapV2ResponseValue.TryParse(response.Value, out MsChapV2ResponseValue value, out _));
        Assert.Equal(PeerChallenge, value.PeerChallenge.ToArray());
        Assert.Equal(NtResponse, value.NtResponse.ToArray());
        Assert.Equal("User"u8.ToArray(), response.Name.ToArray());

        WireFrame successFrame = Assert.Single(pair.Wire, f => f.From == PppSide.Server && f.Data[2] == 0xC2 && f.Data[4] == (byte)ChapCode.Success);
        Assert.StartsWith(AuthenticatorResponse + " M=", Encoding.ASCII.GetString(successFrame.Data.AsSpan(8)));
        Assert.Equal(new PppAuthenticated("User", PppAuthenticationProtocol.MsChapV2), pair.Single<PppAuthenticated>(PppSide.Client));
    }

    [Fact]
    public void ClientRefusesASuccessThatDoesNotProveThePassword()
    {
        using var pair = new PppPair(client: o => PppPair.WithPassword(o with { UserName = "User" }, "clientPass"));
        pair.ServerRandom.Challenges.Enqueue(AuthenticatorChallenge);
        pair.ClientRandom.Challenges.Enqueue(PeerChallenge);
        // An impostor's Success: the right shape, the wrong S=.
        pair.Copies = f =>
        {
            if (f.From == PppSide.Server && f.Data[2] == 0xC2 && f.Data[4] == (byte)ChapCode.Success)
            {
                byte[] forged = PppFrame.Build((ushort)PppProtocol.Chap, ChapPacket.Success(f.Data[5], Encoding.ASCII.GetBytes("S=" + new string('0', 40) + " M=hi")).ToArray());
                pair.Client.HandleFrame(pair.Now, forged);
                return 0;
            }
            return 1;
        };
        pair.StartBoth();
        pair.Drive(TimeSpan.FromSeconds(10), () => pair.Client.IsFinished);
        Assert.Contains("does not know our password", pair.Single<PppAuthenticationFailed>(PppSide.Client).Reason);
        Assert.Empty(pair.ClientEvents.OfType<PppNetworkUp>());
    }

    [Fact]
    public void ClientNaksAnUnwantedProtocolAndAcceptsTheServersAddressAndDns()
    {
        var log = new CapturingLogger("client");
        var random = new ScriptedRandom(0x40);
        using var client = new PppSession(new PppOptions
        {
            Role = PppRole.Client,
            UserName = "alice",
            Password = "correct horse"u8.ToArray(),
            AuthenticationProtocols = [PppAuthenticationProtocol.Pap],
            Random = random.Fill,
        }, log);
        DateTimeOffset now = DateTimeOffset.UnixEpoch;
        client.Start(now);
        Assert.True(client.TryDequeueFrame(out byte[] request));
        Assert.Equal(Hex("ff03c021 01 01 000e 01040578 050641424344"), request);
        // A server asking for CHAP-MD5 is Nak'ed with PAP; asked for PAP, the client agrees.
        client.HandleFrame(now, Hex("ff03c021 01 07 0009 0305c22305"));
        Assert.True(client.TryDequeueFrame(out byte[] nak));
        Assert.Equal(Hex("ff03c021 03 07 0008 0304c023"), nak);
        client.HandleFrame(now, Hex("ff03c021 01 08 0008 0304c023"));
        Assert.True(client.TryDequeueFrame(out byte[] ack));
        Assert.Equal(Hex("ff03c021 02 08 0008 0304c023"), ack);
        client.HandleFrame(now, Hex("ff03c021 02 01 000e 01040578 050641424344"));
        Assert.True(client.TryDequeueFrame(out byte[] pap));
        Assert.Equal([.. Hex("ff03c023 01 45 0018 05"), .. "alice"u8, 0x0d, .. "correct horse"u8], pap);
        client.HandleFrame(now, Hex("ff03c023 02 45 0005 00"));
        // IPCP: 0.0.0.0 and two DNS servers asked; the Nak'ed values taken.
        Assert.True(client.TryDequeueFrame(out byte[] ipcp));
        Assert.Equal(Hex("ff038021 01 01 0016 030600000000 810600000000 830600000000"), ipcp);
        client.HandleFrame(now, Hex("ff038021 03 01 0016 0306c6126505 8106c6120035 8306c6120036"));
        Assert.True(client.TryDequeueFrame(out ipcp));
        Assert.Equal(Hex("ff038021 01 02 0016 0306c6126505 8106c6120035 8306c6120036"), ipcp);
        client.HandleFrame(now, Hex("ff038021 02 02 0016 0306c6126505 8106c6120035 8306c6120036"));
        client.HandleFrame(now, Hex("ff038021 01 09 000a 0306c6120001"));
        Assert.True(client.TryDequeueFrame(out byte[] ipcpAck));
        Assert.Equal(Hex("ff038021 02 09 000a 0306c6120001"), ipcpAck);
        var events = new List<PppEvent>();
        while (client.TryDequeueEvent(out PppEvent e)) events.Add(e);
        PppNetworkUp up = Assert.Single(events.OfType<PppNetworkUp>());
        Assert.Equal(PppPair.ClientAddress, up.LocalAddress);
        Assert.Equal(PppPair.ServerAddress, up.PeerAddress);
        Assert.Equal([PppPair.Dns1, PppPair.Dns2], up.Dns);
        Assert.Equal(new PppAuthenticated("alice", PppAuthenticationProtocol.Pap), Assert.Single(events.OfType<PppAuthenticated>()));
    }

    [Fact]
    public void ServerRejectingDnsLeavesTheClientWithoutAndAnAddressRejectEndsIt()
    {
        var log = new CapturingLogger("client");
        using var client = new PppSession(new PppOptions { Role = PppRole.Client, UserName = "a", Password = [1], Random = new ScriptedRandom(1).Fill }, log);
        DateTimeOffset now = DateTimeOffset.UnixEpoch;
        client.Start(now);
        client.TryDequeueFrame(out byte[] lcp);
        // No authentication asked: straight to IPCP once LCP is up.
        client.HandleFrame(now, Hex("ff03c021 01 01 0004"));
        client.HandleFrame(now, [.. lcp[..4], 0x02, .. lcp[5..]]);
        Assert.Equal(PppPhase.Network, client.Phase);
        client.TryDequeueFrame(out _);
        client.TryDequeueFrame(out byte[] ipcp);
        Assert.Equal(Hex("ff038021 01 01 0016 030600000000 810600000000 830600000000"), ipcp);
        client.HandleFrame(now, Hex("ff038021 04 01 0010 810600000000 830600000000"));
        client.TryDequeueFrame(out ipcp);
        Assert.Equal(Hex("ff038021 01 02 000a 030600000000"), ipcp);
        client.HandleFrame(now, Hex("ff038021 04 02 000a 030600000000"));
        Assert.True(log.Has("IPCP: server rejected IP-Address: it assigns no address"));
        // IPCP terminates (nobody answers here), then LCP, for want of a network protocol.
        while (client.NextTimeout is DateTimeOffset next)
        {
            now = next;
            client.HandleTimeout(now);
        }
        var events = new List<PppEvent>();
        while (client.TryDequeueEvent(out PppEvent e)) events.Add(e);
        Assert.Equal("no network protocols running (IPCP: server rejected IP-Address: it assigns no address)", Assert.Single(events.OfType<PppDown>()).Reason);
        Assert.True(client.IsFinished);
    }
}
