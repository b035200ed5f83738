using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using Portcullis.Core.L2tp;
using Xunit.Abstractions;

namespace Portcullis.Core.Tests.L2tp;

/// <summary>A fact that needs tshark: skipped with the reason when it is not installed.</summary>
public sealed class TsharkFactAttribute : FactAttribute
{
    public const string Path = "/usr/bin/tshark";

    /// <summary>Sets Skip when tshark is missing.</summary>
    public TsharkFactAttribute()
    {
        if (!File.Exists(Path)) Skip = $"{Path} is not installed (apt-get install tshark); the independent wire check needs it";
    }
}

/// <summary>
/// An independent check of our bytes: the messages a client and server exchange, wrapped in IPv4 and UDP 1701 in a
/// pcap file, decoded by Wireshark's L2TP and PPP dissectors, which must find nothing malformed.
/// </summary>
public class L2tpTsharkTests(ITestOutputHelper output)
{
    /// <summary>Writes a pcap (LINKTYPE_RAW: IPv4 packets) with one UDP datagram per packet, checksums filled in.</summary>
    public static void WritePcap(string path, IEnumerable<WirePacket> packets)
    {
        using var file = new BinaryWriter(File.Create(path));
        file.Write(0xA1B2C3D4u);
        file.Write((ushort)2);
        file.Write((ushort)4);
        file.Write(0);
        file.Write(0u);
        file.Write(65535u);
        file.Write(101u); // LINKTYPE_RAW
        ushort id = 1;
        foreach (WirePacket p in packets)
        {
            byte[] ip = Ipv4Udp(p.Source, p.Destination, p.Data, id++);
            long micros = (p.At - DateTimeOffset.UnixEpoch).Ticks / 10;
            file.Write((uint)(micros / 1_000_000));
            file.Write((uint)(micros % 1_000_000));
            file.Write((uint)ip.Length);
            file.Write((uint)ip.Length);
            file.Write(ip);
        }
    }

    private static byte[] Ipv4Udp(IPEndPoint source, IPEndPoint destination, byte[] payload, ushort id)
    {
        byte[] packet = new byte[20 + 8 + payload.Length];
        Span<byte> ip = packet.AsSpan(0, 20);
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)packet.Length);
        BinaryPrimitives.WriteUInt16BigEndian(ip[4..], id);
        ip[8] = 64;
        ip[9] = 17;
        source.Address.GetAddressBytes().CopyTo(ip[12..]);
        destination.Address.GetAddressBytes().CopyTo(ip[16..]);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], Checksum(ip, 0));
        Span<byte> udp = packet.AsSpan(20);
        BinaryPrimitives.WriteUInt16BigEndian(udp, (ushort)source.Port);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], (ushort)destination.Port);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)udp.Length);
        payload.CopyTo(udp[8..]);
        // UDP checksum over the pseudo-header (RFC 2661 §8.1 wants checksums on).
        uint pseudo = Sum(ip[12..20]) + 17 + (uint)udp.Length;
        ushort sum = Checksum(udp, pseudo);
        BinaryPrimitives.WriteUInt16BigEndian(udp[6..], sum == 0 ? (ushort)0xFFFF : sum);
        return packet;
    }

    private static uint Sum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        for (int i = 0; i + 1 < data.Length; i += 2) sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        if ((data.Length & 1) != 0) sum += (uint)data[^1] << 8;
        return sum;
    }

    private static ushort Checksum(ReadOnlySpan<byte> data, uint initial)
    {
        uint sum = initial + Sum(data);
        while (sum > 0xFFFF) sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)~sum;
    }

    private static readonly byte[] LcpConfReq = [0xFF, 0x03, 0xC0, 0x21, 0x01, 0x01, 0x00, 0x0E, 0x01, 0x04, 0x05, 0x78, 0x05, 0x06, 0x12, 0x34, 0x56, 0x78];
    private static readonly byte[] LcpConfAck = [0xFF, 0x03, 0xC0, 0x21, 0x02, 0x01, 0x00, 0x0E, 0x01, 0x04, 0x05, 0x78, 0x05, 0x06, 0x12, 0x34, 0x56, 0x78];

    /// <summary>Everything the pair says in a full life: set-up, data, HELLO, CDN, a second call, StopCCN.</summary>
    private static List<WirePacket> Conversation(L2tpOptions serverOptions, L2tpOptions clientOptions)
    {
        var net = new L2tpNet(serverOptions);
        L2tpNet.Peer client = net.AddClient(clientOptions);
        (L2tpTunnel tunnel, L2tpSession session) = net.Connect(client);
        net.SendFrame(client, session, LcpConfReq);
        L2tpSession serverSession = net.ServerEngine.Tunnels.Single().Sessions.Single();
        net.SendFrame(net.Server, serverSession, LcpConfAck);
        net.Drive(TimeSpan.FromSeconds(70));          // HELLO both ways
        client.Engine.CloseSession(net.Now, session, "user hung up");
        net.Drive(TimeSpan.FromSeconds(2));
        L2tpSession second = client.Client.OpenSession(net.Now, tunnel);
        net.Drive(TimeSpan.FromSeconds(2));
        net.SendFrame(client, second, LcpConfReq);
        net.ServerEngine.CloseAll(net.Now, "server shutting down");
        net.Drive(TimeSpan.FromSeconds(40));
        Assert.Empty(net.ServerEngine.Tunnels);
        return net.Sent;
    }

    [TsharkFact]
    public void TsharkDecodesOurL2tpWithoutMalformedPackets()
    {
        var plain = new L2tpOptions { HostName = "lns.example" };
        var secret = new L2tpOptions { HostName = "lns.example", Secret = L2tpNet.Secret, HideAvps = true };
        List<WirePacket> packets =
        [
            .. Conversation(plain, plain with { HostName = "lac.example" }),
            .. Conversation(secret, secret with { HostName = "lac.example", RequestSequencing = true }).Select(p => p with { At = p.At.AddMinutes(10) }),
        ];
        string dir = Directory.CreateTempSubdirectory("l2tp-tshark").FullName;
        try
        {
            string pcap = System.IO.Path.Combine(dir, "l2tp.pcap");
            WritePcap(pcap, packets);
            // To look at it in Wireshark: PORTCULLIS_L2TP_PCAP=/some/file.pcap.
            if (Environment.GetEnvironmentVariable("PORTCULLIS_L2TP_PCAP") is { Length: > 0 } keep) File.Copy(pcap, keep, overwrite: true);
            string secretText = System.Text.Encoding.ASCII.GetString(L2tpNet.Secret);
            string decoded = Tshark("-r", pcap, "-V", "-o", $"l2tp.shared_secret:{secretText}");
            string expert = Tshark("-r", pcap, "-q", "-z", "expert,note");
            output.WriteLine(expert);

            Assert.DoesNotContain("Malformed", decoded);
            Assert.DoesNotContain("Expert Info (Error", decoded);
            Assert.DoesNotContain("Expert Info (Warning", decoded);
            Assert.DoesNotContain("[Malformed", expert);
            Assert.DoesNotContain("Errors (", expert);
            Assert.DoesNotContain("Warnings (", expert);

            // Every datagram is L2TP; every message type we sent is recognised; the data carries PPP LCP.
            string fields = Tshark("-r", pcap, "-T", "fields", "-e", "l2tp.avp.message_type", "-e", "ppp.code", "-E", "occurrence=f");
            string[] rows = fields.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(packets.Count, int.Parse(Tshark("-r", pcap, "-Y", "l2tp", "-T", "fields", "-e", "frame.number").Split('\n', StringSplitOptions.RemoveEmptyEntries).Length.ToString()));
            foreach (string type in new[] { "1", "2", "3", "4", "6", "10", "11", "12", "14" })
                Assert.Contains(rows, r => r.Split('\t')[0] == type);
            Assert.Equal(packets.Count(p => p.Kind == "data"), rows.Count(r => r.Split('\t').ElementAtOrDefault(1) is "1" or "2"));
            Assert.Contains("Start_Control_Request", decoded);
            // Wireshark 4.0 shows hidden AVPs as such without unhiding them (the secret option is for L2TPv3 digests).
            Assert.Contains("Hidden: True", decoded);
            Assert.Equal("", Tshark("-r", pcap, "-V", "-o", "udp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE", "-Y", "udp.checksum.status != 1"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private string Tshark(params string[] args)
    {
        var info = new ProcessStartInfo(TsharkFactAttribute.Path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args) info.ArgumentList.Add(a);
        using Process p = Process.Start(info)!;
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"tshark {string.Join(' ', args)} failed: {stderr.Result}");
        return stdout;
    }
}
