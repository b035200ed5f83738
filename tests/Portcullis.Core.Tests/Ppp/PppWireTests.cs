using System.Net;
using Portcullis.Core.Ikev2.Wire;
using Portcullis.Core.Ppp;
using Portcullis.Core.Tests.Ikev2;

namespace Portcullis.Core.Tests.Ppp;

/// <summary>PPP wire formats: round trips, truncations (a ParseError naming the field, never an exception) and real frames.</summary>
public class PppWireTests
{
    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", ""));

    // ---- frames --------------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("ff 03 c0 21 09 01 00 08", 0xC021, "09010008")]
    [InlineData("c0 21 09 01 00 08", 0xC021, "09010008")] // Address-and-Control-Field-Compression
    [InlineData("ff 03 21 45 00", 0x0021, "4500")] // Protocol-Field-Compression
    [InlineData("21 45 00", 0x0021, "4500")] // both
    [InlineData("ff 03 80 57", 0x8057, "")]
    public void FramesParseWithOrWithoutCompression(string frame, int protocol, string information)
    {
        Assert.True(PppFrame.TryParse(Hex(frame), out PppFrame parsed, out _));
        Assert.Equal(protocol, parsed.Protocol);
        Assert.Equal(Hex(information), parsed.Information.ToArray());
    }

    [Theory]
    [InlineData("", "Protocol")]
    [InlineData("ff", "Control")]
    [InlineData("ff 04 c0 21", "Control")]
    [InlineData("ff 03", "Protocol")]
    [InlineData("c0", "Protocol")]
    [InlineData("c0 20", "Protocol")] // even last octet
    public void BadFramesNameTheField(string frame, string field)
    {
        Assert.False(PppFrame.TryParse(Hex(frame), out _, out ParseError error));
        Assert.Equal(field, error.Field);
    }

    [Fact]
    public void FramesAreWrittenUncompressed()
    {
        Assert.Equal(Hex("ff 03 80 21 01 02"), PppFrame.Build(0x8021, [1, 2]));
        Assert.Throws<ArgumentException>(() => PppFrame.Write(0x8021, [1, 2], new byte[5]));
    }

    // ---- LCP/IPCP packets and options ----------------------------------------------------------------------------

    [Fact]
    public void ControlPacketRoundTripAndPaddingIgnored()
    {
        byte[] packet = PppControlPacket.Build(PppCode.ConfigureRequest, 7, Hex("01 04 05 78"));
        Assert.Equal(Hex("01 07 00 08 01 04 05 78"), packet);
        Assert.True(PppControlPacket.TryParse([.. packet, 0, 0, 0], out PppControlPacket parsed, out _));
        Assert.Equal(1, parsed.Code);
        Assert.Equal(7, parsed.Identifier);
        Assert.Equal(Hex("01 04 05 78"), parsed.Data.ToArray());
    }

    [Theory]
    [InlineData("01 07 00", "Length")]
    [InlineData("01 07 00 03", "Length")]
    [InlineData("01 07 00 09 01 04 05 78", "Length")]
    public void ControlPacketTruncationsNameLength(string packet, string field)
    {
        Assert.False(PppControlPacket.TryParse(Hex(packet), out _, out ParseError error));
        Assert.Equal(field, error.Field);
    }

    [Fact]
    public void OptionListRoundTrip()
    {
        PppOption[] options = [LcpOptions.Mru(1400), LcpOptions.AuthenticationProtocol(PppAuthenticationProtocol.MsChapV2), LcpOptions.MagicNumber(0x01020304),
            LcpOptions.Accm(0), LcpOptions.ProtocolFieldCompression(), LcpOptions.AddressAndControlFieldCompression(),
            LcpOptions.AuthenticationProtocol(PppAuthenticationProtocol.Pap), LcpOptions.AuthenticationProtocol(PppAuthenticationProtocol.ChapMd5)];
        byte[] bytes = PppOption.WriteList(options);
        Assert.Equal(Hex("01 04 05 78 03 05 c2 23 81 05 06 01 02 03 04 02 06 00 00 00 00 07 02 08 02 03 04 c0 23 03 05 c2 23 05"), bytes);
        Assert.True(PppOption.TryParseList(bytes, out List<PppOption> parsed, out _));
        Assert.Equal(options.Length, parsed.Count);
        Assert.All(options.Zip(parsed), p => Assert.True(p.First.SameAs(p.Second)));

        Assert.True(LcpOptions.TryReadMru(parsed[0], out ushort mru, out _));
        Assert.Equal(1400, mru);
        Assert.True(LcpOptions.TryReadAuthenticationProtocol(parsed[1], out ushort protocol, out byte? algorithm, out _));
        Assert.Equal(PppAuthenticationProtocol.MsChapV2, PppAuthenticationProtocols.FromOption(protocol, algorithm));
        Assert.True(LcpOptions.TryReadMagicNumber(parsed[2], out uint magic, out _));
        Assert.Equal(0x01020304u, magic);
        Assert.True(LcpOptions.TryReadAccm(parsed[3], out uint accm, out _));
        Assert.Equal(0u, accm);
        Assert.True(LcpOptions.TryReadFlag(parsed[4], out _));
        Assert.True(LcpOptions.TryReadAuthenticationProtocol(parsed[6], out protocol, out algorithm, out _));
        Assert.Equal(PppAuthenticationProtocol.Pap, PppAuthenticationProtocols.FromOption(protocol, algorithm));
        Assert.Null(algorithm);
    }

    [Theory]
    [InlineData("01", "Length")]
    [InlineData("01 01", "Length")]
    [InlineData("01 04 05", "Length")]
    [InlineData("01 04 05 78 05 07 00 00 00 00", "Length")]
    public void OptionListTruncationsNameLength(string options, string field)
    {
        Assert.False(PppOption.TryParseList(Hex(options), out _, out ParseError error));
        Assert.Equal(field, error.Field);
    }

    [Fact]
    public void TypedReadersCheckLengths()
    {
        Assert.False(LcpOptions.TryReadMru(new PppOption(1, [5]), out _, out ParseError error));
        Assert.Equal("Maximum-Receive-Unit: Length 3, must be 4", error.ToString());
        Assert.False(LcpOptions.TryReadMagicNumber(new PppOption(5, [1, 2, 3]), out _, out error));
        Assert.Equal("Magic-Number", error.Field);
        Assert.False(LcpOptions.TryReadAuthenticationProtocol(new PppOption(3, [0xC2, 0x23]), out _, out _, out error));
        Assert.Equal("Authentication-Protocol", error.Field);
        Assert.False(LcpOptions.TryReadAuthenticationProtocol(new PppOption(3, [0xC2]), out _, out _, out error));
        Assert.False(LcpOptions.TryReadAuthenticationProtocol(new PppOption(3, [0xC0, 0x23, 0]), out _, out _, out error));
        Assert.False(LcpOptions.TryReadFlag(new PppOption(7, [0]), out error));
        Assert.Equal("Protocol-Field-Compression", error.Field);
        Assert.False(IpcpOptions.TryReadAddress(new PppOption(3, [1, 2, 3]), out _, out error));
        Assert.Equal("IP-Address: Length 5, must be 6", error.ToString());
        Assert.False(IpcpOptions.TryReadCompressionProtocol(new PppOption(2, [0]), out _, out error));
        Assert.Equal("IP-Compression-Protocol", error.Field);
        Assert.Equal("MS-CHAP (v1)", PppAuthenticationProtocols.Describe(0xC223, 0x80));
        Assert.Equal("EAP", PppAuthenticationProtocols.Describe(0xC227, null));
    }

    [Fact]
    public void IpcpAddressOptions()
    {
        PppOption dns = IpcpOptions.Address(IpcpOptionType.PrimaryDnsAddress, IPAddress.Parse("198.18.0.53"));
        byte[] bytes = PppOption.WriteList([dns]);
        Assert.Equal(Hex("81 06 c6 12 00 35"), bytes);
        Assert.True(IpcpOptions.TryReadAddress(dns, out IPAddress address, out _));
        Assert.Equal(IPAddress.Parse("198.18.0.53"), address);
        Assert.Throws<ArgumentException>(() => IpcpOptions.Address(IpcpOptionType.IpCompressionProtocol, IPAddress.Any));
        Assert.Throws<ArgumentException>(() => IpcpOptions.Address(IpcpOptionType.IpAddress, IPAddress.IPv6Loopback));
    }

    // ---- PAP, CHAP, MS-CHAPv2 ---------------------------------------------------------------------------------------

    [Fact]
    public void PapRoundTrip()
    {
        byte[] request = PapPacket.AuthenticateRequest(3, "alice"u8, "secret"u8).ToArray();
        Assert.Equal(Hex("01 03 00 11 05 616c696365 06 736563726574"), request);
        Assert.True(PapPacket.TryParse(request, out PapPacket? parsed, out _));
        Assert.Equal("alice"u8.ToArray(), parsed!.PeerId.ToArray());
        Assert.Equal("secret"u8.ToArray(), parsed.Password.ToArray());
        parsed.Wipe();
        Assert.All(parsed.Password.ToArray(), b => Assert.Equal(0, b));

        byte[] ack = PapPacket.AuthenticateAck(3, "ok"u8).ToArray();
        Assert.Equal(Hex("02 03 00 07 02 6f6b"), ack);
        Assert.True(PapPacket.TryParse(ack, out parsed, out _));
        Assert.Equal(PapCode.AuthenticateAck, parsed!.Code);
        Assert.Equal("ok"u8.ToArray(), parsed.Message.ToArray());
        // An Ack without even a Msg-Length is taken as an empty message.
        Assert.True(PapPacket.TryParse(Hex("02 03 00 04"), out parsed, out _));
        Assert.Equal(0, parsed!.Message.Length);
    }

    [Theory]
    [InlineData("01 03 00 04", "Peer-ID Length")]
    [InlineData("01 03 00 06 05 61", "Peer-ID")]
    [InlineData("01 03 00 06 01 61", "Passwd-Length")]
    [InlineData("01 03 00 08 01 61 05 61", "Password")]
    [InlineData("02 03 00 06 05 61", "Msg-Length")]
    [InlineData("09 03 00 04", "Code")]
    [InlineData("01 03 00", "Length")]
    [InlineData("01 03 00 20 01 61 00", "Length")]
    public void PapTruncationsNameTheField(string packet, string field)
    {
        Assert.False(PapPacket.TryParse(Hex(packet), out _, out ParseError error));
        Assert.Equal(field, error.Field);
    }

    [Fact]
    public void ChapRoundTrip()
    {
        byte[] challenge = ChapPacket.Challenge(9, Hex("00112233"), "gw"u8).ToArray();
        Assert.Equal(Hex("01 09 00 0b 04 00112233 6777"), challenge);
        Assert.True(ChapPacket.TryParse(challenge, out ChapPacket? parsed, out _));
        Assert.Equal(Hex("00112233"), parsed!.Value.ToArray());
        Assert.Equal("gw"u8.ToArray(), parsed.Name.ToArray());

        byte[] success = ChapPacket.Success(9, "S=00 M=hi"u8).ToArray();
        Assert.True(ChapPacket.TryParse(success, out parsed, out _));
        Assert.Equal(ChapCode.Success, parsed!.Code);
        Assert.Equal("S=00 M=hi"u8.ToArray(), parsed.Message.ToArray());
        Assert.Throws<ArgumentException>(() => ChapPacket.Response(1, [], []));
    }

    [Theory]
    [InlineData("02 09 00 04", "Value-Size")]
    [InlineData("02 09 00 05 00", "Value-Size")]
    [InlineData("02 09 00 07 04 00 11", "Value")]
    [InlineData("05 09 00 04", "Code")]
    [InlineData("02 09 00 02", "Length")]
    public void ChapTruncationsNameTheField(string packet, string field)
    {
        Assert.False(ChapPacket.TryParse(Hex(packet), out _, out ParseError error));
        Assert.Equal(field, error.Field);
    }

    [Fact]
    public void MsChapV2ResponseValueLayout()
    {
        byte[] peer = Enumerable.Range(1, 16).Select(i => (byte)i).ToArray();
        byte[] nt = Enumerable.Range(100, 24).Select(i => (byte)i).ToArray();
        byte[] value = MsChapV2ResponseValue.Build(peer, nt);
        Assert.Equal(49, value.Length);
        Assert.Equal(new byte[8], value[16..24]);
        Assert.Equal(0, value[48]);
        Assert.True(MsChapV2ResponseValue.TryParse(value, out MsChapV2ResponseValue parsed, out _));
        Assert.Equal(peer, parsed.PeerChallenge.ToArray());
        Assert.Equal(nt, parsed.NtResponse.ToArray());
        Assert.False(MsChapV2ResponseValue.TryParse(value.AsSpan(0, 48), out _, out ParseError error));
        Assert.Equal("Value-Size", error.Field);
    }

    [Fact]
    public void EchoAndProtocolRejectData()
    {
        Assert.True(LcpEchoPacket.TryParse(Hex("de61964b 00309492"), out LcpEchoPacket echo, out _));
        Assert.Equal(0xde61964bu, echo.MagicNumber);
        Assert.Equal(Hex("00309492"), echo.Data.ToArray());
        Assert.False(LcpEchoPacket.TryParse(Hex("de61"), out _, out ParseError error));
        Assert.Equal("Magic-Number", error.Field);

        Assert.Equal(Hex("8057 0102"), LcpProtocolRejectPacket.Build(0x8057, Hex("0102030405"), 4));
        Assert.False(LcpProtocolRejectPacket.TryParse(Hex("80"), out _, out error));
        Assert.Equal("Rejected-Protocol", error.Field);
    }

    [Fact]
    public void EveryPrefixFailsWithoutThrowing()
    {
        (byte[] Packet, Func<byte[], bool> Parse)[] samples =
        [
            (PapPacket.AuthenticateRequest(1, "alice"u8, "pw"u8).ToArray(), b => PapPacket.TryParse(b, out _, out _)),
            (PapPacket.AuthenticateNak(1, "no"u8).ToArray(), b => PapPacket.TryParse(b, out _, out _)),
            (ChapPacket.Response(1, MsChapV2ResponseValue.Build(new byte[16], new byte[24]), "alice"u8).ToArray(), b => ChapPacket.TryParse(b, out _, out _)),
            (ChapPacket.Failure(1, "E=691 R=0"u8).ToArray(), b => ChapPacket.TryParse(b, out _, out _)),
            (PppControlPacket.Build(PppCode.ConfigureRequest, 1, PppOption.WriteList([LcpOptions.Mru(1400), LcpOptions.MagicNumber(5)])),
                b => PppControlPacket.TryParse(b, out _, out _)),
        ];
        foreach ((byte[] packet, Func<byte[], bool> parse) in samples)
        {
            Assert.True(parse(packet));
            for (int n = 0; n < packet.Length; n++)
            {
                byte[] prefix = packet[..n];
                Assert.False(parse(prefix), $"{Convert.ToHexString(prefix)} parsed");
                // The other parsers see the same bytes without throwing either.
                _ = PapPacket.TryParse(prefix, out _, out _);
                _ = ChapPacket.TryParse(prefix, out _, out _);
                _ = PppFrame.TryParse(prefix, out _, out _);
                _ = LcpEchoPacket.TryParse(prefix, out _, out _);
                _ = LcpProtocolRejectPacket.TryParse(prefix, out _, out _);
                _ = MsChapV2ResponseValue.TryParse(prefix, out _, out _);
                _ = PppOption.TryParseList(prefix, out _, out _);
            }
        }
    }

    // ---- real frames -------------------------------------------------------------------------------------------------

    // Frames a pppd client exchanged with a Fortinet gateway (openfortivpn's test tool antipppd.pl replays them; the
    // transport drops FF 03, so these start at the Protocol).
    private const string PppdLcpRequest = "c0 21 01 01 00 0e 01 04 05 4a 05 06 f1 81 bf 52";
    private const string PppdCcpRequest = "80 fd 01 01 00 0f 1a 04 78 00 18 04 78 00 15 03 2f";
    private const string PppdIpcpRequest = "80 21 01 01 00 1c 02 06 00 2d 0f 01 03 06 00 00 00 00 81 06 00 00 00 00 83 06 00 00 00 00";
    private const string GatewayCcpProtocolReject = "c0 21 08 02 00 17 80 fd 01 01 00 0f 1a 04 78 00 18 04 78 00 15 03 2f 00 00";
    private const string GatewayIpcpReject = "80 21 04 01 00 16 02 06 00 2d 0f 01 81 06 00 00 00 00 83 06 00 00 00 00";

    // Frames of an Ascend MAX access server, from the trace examples in Wireshark's Ascend file reader.
    private const string AscendLcpMultilink = "ff 03 c0 21 01 01 00 19 01 04 05 f4 11 04 05 f4 13 09 03 00 c0 7b 9a 9f 2d 17 04 10 00";
    private const string AscendLcpChap = "ff 03 c0 21 01 01 00 22 00 04 00 00 01 04 05 f4 03 05 c2 23 05 11 04 05 f4 13 09 03 00 c0 7b 80 7c ef 17 04 0e 00";
    private const string AscendEchoRequest = "FF 03 C0 21 09 01 00 0C DE 61 96 4B 00 30 94 92";

    [Fact]
    public void PppdFramesParse()
    {
        Assert.True(PppFrame.TryParse(Hex(PppdLcpRequest), out PppFrame frame, out _));
        Assert.Equal((ushort)PppProtocol.Lcp, frame.Protocol);
        Assert.True(PppControlPacket.TryParse(frame.Information, out PppControlPacket lcp, out _));
        Assert.True(PppOption.TryParseList(lcp.Data, out List<PppOption> options, out _));
        Assert.True(LcpOptions.TryReadMru(options[0], out ushort mru, out _));
        Assert.Equal(1354, mru);
        Assert.True(LcpOptions.TryReadMagicNumber(options[1], out uint magic, out _));
        Assert.Equal(0xf181bf52u, magic);

        Assert.True(PppFrame.TryParse(Hex(PppdIpcpRequest), out frame, out _));
        Assert.True(PppControlPacket.TryParse(frame.Information, out PppControlPacket ipcp, out _));
        Assert.True(PppOption.TryParseList(ipcp.Data, out options, out _));
        Assert.Equal([2, 3, 129, 131], options.Select(o => (int)o.Type));
        Assert.True(IpcpOptions.TryReadCompressionProtocol(options[0], out ushort vj, out _));
        Assert.Equal(0x002d, vj);

        // The gateway's Protocol-Reject echoes the CCP packet and two more zero bytes, inside its Length.
        Assert.True(PppFrame.TryParse(Hex(GatewayCcpProtocolReject), out frame, out _));
        Assert.True(PppControlPacket.TryParse(frame.Information, out PppControlPacket reject, out _));
        Assert.Equal(19, reject.Data.Length);
        Assert.True(LcpProtocolRejectPacket.TryParse(reject.Data, out LcpProtocolRejectPacket pr, out _));
        Assert.Equal((ushort)PppProtocol.Ccp, pr.RejectedProtocol);
        Assert.Equal([.. Hex(PppdCcpRequest)[2..], 0, 0], pr.RejectedInformation.ToArray());
    }

    [Fact]
    public void AscendFramesParse()
    {
        Assert.True(PppFrame.TryParse(Hex(AscendLcpChap), out PppFrame frame, out _));
        Assert.True(PppControlPacket.TryParse(frame.Information, out PppControlPacket lcp, out _));
        Assert.True(PppOption.TryParseList(lcp.Data, out List<PppOption> options, out _));
        Assert.Equal([0, 1, 3, 17, 19, 23], options.Select(o => (int)o.Type));
        Assert.True(LcpOptions.TryReadAuthenticationProtocol(options[2], out ushort protocol, out byte? algorithm, out _));
        Assert.Equal(PppAuthenticationProtocol.ChapMd5, PppAuthenticationProtocols.FromOption(protocol, algorithm));

        Assert.True(PppFrame.TryParse(Hex(AscendEchoRequest), out frame, out _));
        Assert.True(PppControlPacket.TryParse(frame.Information, out PppControlPacket echo, out _));
        Assert.Equal((byte)PppCode.EchoRequest, echo.Code);
        Assert.True(LcpEchoPacket.TryParse(echo.Data, out LcpEchoPacket e, out _));
        Assert.Equal(0xDE61964Bu, e.MagicNumber);
    }

    [Theory]
    [InlineData(AscendLcpMultilink, "04 01 00 15 11 04 05 f4 13 09 03 00 c0 7b 9a 9f 2d 17 04 10 00")]
    // Vendor-Specific (type 0), our own authentication and the Multilink options; the MRU is never mentioned, as a
    // Reject answers first.
    [InlineData(AscendLcpChap, "04 01 00 1e 00 04 00 00 03 05 c2 23 05 11 04 05 f4 13 09 03 00 c0 7b 80 7c ef 17 04 0e 00")]
    public void ServerRejectsMultilinkAndCallbackFromRealRequests(string request, string expectedReply)
    {
        using var server = new PppSession(new PppOptions { FindPassword = _ => null, Random = new ScriptedRandom(1).Fill }, new CapturingLogger("s"));
        server.Start(DateTimeOffset.UnixEpoch);
        Assert.True(server.TryDequeueFrame(out _));
        server.HandleFrame(DateTimeOffset.UnixEpoch, Hex(request));
        Assert.True(server.TryDequeueFrame(out byte[] reply));
        Assert.Equal(Hex("ff 03 c0 21 " + expectedReply), reply);
    }

    [Fact]
    public void ServerIpcpAnswersPppdLikeTheRealGatewayWhenNoDnsIsConfigured()
    {
        Ipcp ipcp = ServerIpcp([], out List<byte[]> sent);
        Assert.True(PppFrame.TryParse(Hex(PppdIpcpRequest), out PppFrame frame, out _));
        ipcp.Receive(DateTimeOffset.UnixEpoch, frame.Information);
        Assert.Equal(Hex(GatewayIpcpReject), PppFrame.Build(0x8021, sent[^1])[2..]);
    }

    [Fact]
    public void ServerIpcpRejectsVjThenNaksAddressAndDnsThenAcks()
    {
        Ipcp ipcp = ServerIpcp([IPAddress.Parse("198.18.0.53"), IPAddress.Parse("198.18.0.54")], out List<byte[]> sent);
        ipcp.Receive(DateTimeOffset.UnixEpoch, Hex(PppdIpcpRequest)[2..]);
        Assert.Equal(Hex("04 01 00 0a 02 06 00 2d 0f 01"), sent[^1]);
        ipcp.Receive(DateTimeOffset.UnixEpoch, Hex("01 02 00 16 03 06 00 00 00 00 81 06 00 00 00 00 83 06 00 00 00 00"));
        Assert.Equal(Hex("03 02 00 16 03 06 c6 12 65 05 81 06 c6 12 00 35 83 06 c6 12 00 36"), sent[^1]);
        ipcp.Receive(DateTimeOffset.UnixEpoch, Hex("01 03 00 16 03 06 c6 12 65 05 81 06 c6 12 00 35 83 06 c6 12 00 36"));
        Assert.Equal(Hex("02 03 00 16 03 06 c6 12 65 05 81 06 c6 12 00 35 83 06 c6 12 00 36"), sent[^1]);
        // A request without IP-Address gets a Nak that names it.
        ipcp.Receive(DateTimeOffset.UnixEpoch, Hex("01 04 00 04"));
        Assert.Equal(Hex("03 04 00 0a 03 06 c6 12 65 05"), sent[^1]);
    }

    private static Ipcp ServerIpcp(IReadOnlyList<IPAddress> dns, out List<byte[]> sent)
    {
        var packets = new List<byte[]>();
        sent = packets;
        var options = new PppOptions { FindPassword = _ => null, LocalAddress = IPAddress.Parse("198.18.0.1"), Dns = dns };
        var context = new PppContext(options, new CapturingLogger("s"), (_, packet) => packets.Add(packet));
        var ipcp = new Ipcp(context, new NoEvents()) { AssignedPeerAddress = IPAddress.Parse("198.18.101.5") };
        ipcp.Open(DateTimeOffset.UnixEpoch);
        ipcp.Up(DateTimeOffset.UnixEpoch);
        Assert.Equal(Hex("01 01 00 0a 03 06 c6 12 00 01"), packets[0]);
        return ipcp;
    }

    private sealed class NoEvents : IPppLayerEvents
    {
        public void LayerUp(PppAutomaton layer, DateTimeOffset now) { }
        public void LayerDown(PppAutomaton layer, DateTimeOffset now) { }
        public void LayerFinished(PppAutomaton layer, DateTimeOffset now) { }
        public void ProtocolRejected(DateTimeOffset now, ushort protocol) { }
    }
}
