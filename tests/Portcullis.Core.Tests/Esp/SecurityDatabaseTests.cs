using System.Net;
using Portcullis.Core.Crypto.Registry;
using Portcullis.Core.Esp;
using Portcullis.Core.Ipsec;

namespace Portcullis.Core.Tests.Esp;

public class SecurityDatabaseTests
{
    private static TrafficSelector Ts(string text)
    {
        Assert.True(TrafficSelector.TryParse(text, out TrafficSelector ts, out string? error), error);
        return ts;
    }

    private static EspSa NewSa(uint spi, bool inbound)
    {
        var t = TransformRegistry.Get<EncryptionTransform>("aes128gcm16");
        return inbound ? EspSa.CreateInbound(spi, t, null, new byte[20], []) : EspSa.CreateOutbound(spi, t, null, new byte[20], []);
    }

    [Fact]
    public void Spd_lookup_by_address_protocol_and_port_takes_the_first_match()
    {
        var spd = new SecurityPolicyDatabase();
        var dns = new SecurityPolicy([Ts("198.18.1.0/24")], [Ts("198.18.2.20[udp/53]")], tag: "dns");
        var web6 = new SecurityPolicy([Ts("2001:db8:1::/48")], [Ts("2001:db8:2::/64[tcp/443]")], tag: "web6");
        var net = new SecurityPolicy([Ts("198.18.1.0/24")], [Ts("198.18.0.0/16")], tag: "net");
        var range = new SecurityPolicy([Ts("10.0.0.5-10.0.0.9")], [Ts("0.0.0.0/0[tcp/8000-8080]")], tag: "range");
        spd.Add(dns);
        spd.Add(web6);
        spd.Add(net);
        spd.Add(range);

        Assert.Same(dns, spd.Lookup(EspTestData.Ipv4Udp(60, destinationPort: 53)));
        Assert.Same(net, spd.Lookup(EspTestData.Ipv4Udp(60, destinationPort: 54)));
        Assert.Same(net, spd.Lookup(EspTestData.Ipv4Udp(60, destination: "198.18.200.1")));
        Assert.Null(spd.Lookup(EspTestData.Ipv4Udp(60, source: "198.18.3.1")));
        Assert.Null(spd.Lookup(EspTestData.Ipv4Udp(60, destination: "198.19.0.1")));
        Assert.Same(web6, spd.Lookup(EspTestData.Ipv6(80)));
        Assert.Null(spd.Lookup(EspTestData.Ipv6(80, destinationPort: 80)));
        Assert.Null(spd.Lookup(EspTestData.Ipv6(80, protocol: 17)));
        Assert.Null(spd.Lookup(EspTestData.Ipv6(80, destination: "2001:db8:2:1::1")));

        byte[] tcp = EspTestData.Ipv4Udp(60, source: "10.0.0.9", destination: "203.0.113.7", destinationPort: 8080);
        tcp[9] = 6;
        Assert.Same(range, spd.Lookup(tcp));
        tcp[9] = 17;
        Assert.Null(spd.Lookup(tcp));
        tcp[9] = 6;
        tcp[15] = 10; // 10.0.0.10: outside the range
        Assert.Null(spd.Lookup(tcp));

        // Garbage and truncated headers are drops, not exceptions.
        Assert.Null(spd.Lookup([]));
        Assert.Null(spd.Lookup([0x45, 0, 0]));
        Assert.Null(spd.Lookup(new byte[38].Prepend((byte)0x60).ToArray()));
        Assert.Null(spd.Lookup([0x70, 1, 2, 3]));
        Assert.Equal(11, spd.NoPolicyDrops);

        Assert.True(spd.Remove(dns));
        Assert.False(spd.Remove(dns));
        Assert.Same(net, spd.Lookup(EspTestData.Ipv4Udp(60, destinationPort: 53)));
        Assert.Equal(3, spd.Policies.Count);
    }

    [Fact]
    public void Ports_of_later_fragments_and_cut_off_headers_are_opaque()
    {
        var spd = new SecurityPolicyDatabase();
        var udp53 = new SecurityPolicy([TrafficSelector.AnyV4], [Ts("0.0.0.0/0[udp/53]")]);
        var any = new SecurityPolicy([TrafficSelector.AnyV4], [Ts("0.0.0.0/0[udp]")]);
        spd.Add(udp53);
        spd.Add(any);
        byte[] first = EspTestData.Ipv4Udp(60, destinationPort: 53);
        Assert.Same(udp53, spd.Lookup(first));
        byte[] later = (byte[])first.Clone();
        later[7] = 0xb9; // fragment offset 185 × 8: no UDP header here
        Assert.Same(any, spd.Lookup(later));
        byte[] truncatedUdp = first[..22]; // the ports are cut off
        Assert.Same(any, spd.Lookup(truncatedUdp));
    }

    [Fact]
    public void Ipv6_extension_headers_are_skipped_to_find_ports()
    {
        byte[] plain = EspTestData.Ipv6(80, protocol: 17, destinationPort: 500);
        // Insert a hop-by-hop header (8 bytes) and a fragment header (first fragment).
        byte[] withExt = [.. plain[..40], 44, 0, 1, 4, 0, 0, 0, 0, 17, 0, 0, 0, 0, 0, 0, 1, .. plain[40..]];
        withExt[6] = 0;
        Assert.True(PacketSelectors.TryParse(withExt, out PacketSelectors p));
        Assert.Equal(17, p.Protocol);
        Assert.True(p.HasPorts);
        Assert.Equal(500, p.DestinationPort);
        withExt[50] = 0x01; // fragment offset ≠ 0
        Assert.True(PacketSelectors.TryParse(withExt, out p));
        Assert.False(p.HasPorts);
    }

    [Fact]
    public void Inbound_policy_check_follows_the_SA_selectors()
    {
        using EspSa sa = NewSa(0x1000, inbound: true);
        byte[] packet = EspTestData.Ipv4Udp(60);
        Assert.False(sa.MatchesInbound(packet)); // no selectors yet: nothing passes
        sa.LocalSelectors = new SelectorSet([Ts("198.18.2.0/24")]);
        sa.RemoteSelectors = new SelectorSet([Ts("198.18.1.0/24[udp]")]);
        Assert.True(sa.MatchesInbound(packet));
        Assert.False(sa.MatchesInbound(EspTestData.Ipv4Udp(60, source: "198.18.9.9")));
        Assert.False(sa.MatchesInbound(EspTestData.Ipv4Udp(60, destination: "198.18.1.1")));
        Assert.False(sa.MatchesInbound(EspTestData.Ipv6(80)));
        Assert.Equal(4, sa.PolicyViolations);
    }

    [Fact]
    public void Sad_finds_by_spi_and_counts_unknown_ones()
    {
        var sad = new SecurityAssociationDatabase();
        using EspSa a = NewSa(0xaaaa_0001, inbound: true), b = NewSa(0xbbbb_0002, inbound: true), o = NewSa(0xcccc_0003, inbound: false);
        Assert.True(sad.TryAdd(a));
        Assert.True(sad.TryAdd(b));
        Assert.False(sad.TryAdd(a));
        Assert.Throws<ArgumentException>(() => sad.TryAdd(o));
        Assert.Equal(2, sad.Count);
        Assert.Same(a, sad.Lookup([0xaa, 0xaa, 0x00, 0x01, 0, 0, 0, 1]));
        Assert.True(sad.TryGet(0xbbbb_0002, out EspSa? found));
        Assert.Same(b, found);
        Assert.Null(sad.Lookup([0xaa, 0xaa, 0x00]));
        Assert.Null(sad.Lookup([0xde, 0xad, 0xbe, 0xef]));
        Assert.Equal(2, sad.UnknownSpiDrops);
        Assert.Same(a, sad.Remove(0xaaaa_0001));
        Assert.Null(sad.Remove(0xaaaa_0001));
        Assert.Null(sad.Lookup([0xaa, 0xaa, 0x00, 0x01]));
        Assert.Equal(1, sad.Count);
    }

    [Fact]
    public async Task Sad_reads_are_safe_while_it_changes()
    {
        var sad = new SecurityAssociationDatabase();
        EspSa[] sas = [.. Enumerable.Range(0, 64).Select(i => NewSa(0x1000u + (uint)i, inbound: true))];
        try
        {
            using var stop = new CancellationTokenSource();
            Task reader = Task.Run(() =>
            {
                byte[] spi = [0, 0, 0x10, 0];
                while (!stop.IsCancellationRequested)
                {
                    EspSa? sa = sad.Lookup(spi);
                    Assert.True(sa is null || sa.Spi == 0x1000);
                }
            });
            for (int round = 0; round < 20; round++)
            {
                foreach (EspSa sa in sas) Assert.True(sad.TryAdd(sa));
                foreach (EspSa sa in sas) Assert.Same(sa, sad.Remove(sa.Spi));
            }
            stop.Cancel();
            await reader;
        }
        finally
        {
            foreach (EspSa sa in sas) sa.Dispose();
        }
    }
}
