using Xunit.Abstractions;

namespace Portcullis.Interop.Tests;

/// <summary>
/// The gateway's side of the product against strongSwan and between two daemons: the native clients' compat profile,
/// L2TP/IPsec, <c>probe</c>, the generated firewall rulesets and swanctl over VICI. They share the collection of
/// <see cref="LongRunningInteropTests"/>, which runs beside <see cref="StrongSwanInteropTests"/>' so that the two take
/// about as long.
/// </summary>
[Collection("interop-long")]
public sealed class GatewayInteropTests(ITestOutputHelper output)
{
    /// <summary>
    /// strongSwan sends exactly Windows' or Android's default proposals (from <c>portcullis compat-profiles</c>), PSK:
    /// with <c>compat = native-clients</c> the tunnel comes up and pings both ways; without it strongSwan gets
    /// NO_PROPOSAL_CHOSEN and our line names what the connection lacked and the profile that would accept it.
    /// </summary>
    [InteropTheory]
    [InlineData("windows", "on")]
    [InlineData("windows", "off")]
    [InlineData("android", "on")]
    [InlineData("android", "off")]
    public void NativeClientCompatProfile(string profile, string compat) => InteropEnvironment.RunCase(output, "compat", profile, compat);

    /// <summary>
    /// L2TP/IPsec between two Portcullis daemons: IKEv1 Main Mode PSK with a transport-mode SA for UDP 1701, then the
    /// client tool (<c>portcullis l2tp-connect</c>): L2TP, PPP with MS-CHAPv2 and IPCP, ping to the server's inner
    /// address over the link; a wrong password fails at MS-CHAPv2 with a clear line; cleartext L2TP is dropped and logged.
    /// The client sits behind the masquerading NAT in the second row (UDP-encapsulated transport mode, NAT-OA); in
    /// "ipv6cp" the server has an IPv6 pool, PPP runs IPv6CP and the client pings6 the server's inner IPv6 address with
    /// the address it formed from the Router Advertisement. With the daemons' ESP keys tshark decrypts the ESP and
    /// dissects the L2TP, LCP, CHAP, IPCP and ICMP inside.
    /// </summary>
    [InteropTheory]
    [InlineData("pair")]
    [InlineData("nat")]
    [InlineData("pair6")]
    [InlineData("ipv6cp")]
    public void L2tpOverIkev1TransportMode(string topology) => InteropEnvironment.RunCase(output, "l2tp", "portcullis", topology);

    /// <summary>
    /// <c>portcullis probe</c> against strongSwan: the chosen IKEv2 proposal equals strongSwan's "selected proposal"
    /// (after an INVALID_KE_PAYLOAD retry), on port 500 and 4500; NO_PROPOSAL_CHOSEN reported; IKEv1 Main Mode shows
    /// the chosen transform and strongSwan's vendor IDs; a port with nothing behind it is "closed" at once and a silent
    /// host "no answer" within the tries; through the masquerading NAT, the NAT on our side is reported.
    /// </summary>
    [InteropFact]
    public void ProbeReportsWhatStrongSwanChose() => InteropEnvironment.RunCase(output, "probe", "portcullis");

    /// <summary>
    /// The generated firewall rulesets, loaded in the gateway's namespace with input policy drop: site-to-site without
    /// NAT (nftables and iptables), a remote-access server behind a NAT front doing the generated DNAT, and an
    /// L2TP/IPsec server. Each tunnel works through its ruleset, an unrelated port stays blocked, cleartext L2TP is
    /// dropped, and the kernel's IPsec policy match is shown never to see the user-space data plane's packets.
    /// </summary>
    [InteropTheory]
    [InlineData("site", "nftables")]
    [InlineData("site", "iptables")]
    [InlineData("site", "iptables-legacy")]
    [InlineData("site6", "nftables")]
    [InlineData("site6", "iptables")]
    [InlineData("site6", "iptables-legacy")]
    [InlineData("nat-front", "nftables")]
    [InlineData("nat-front", "iptables")]
    [InlineData("l2tp", "nftables")]
    [InlineData("l2tp", "iptables")]
    public void GeneratedFirewallLetsTheTunnelThroughAndNothingElse(string scenario, string format) =>
        InteropEnvironment.RunCase(output, "firewall", "portcullis", scenario, format);

    /// <summary>
    /// Debian's own swanctl drives Portcullis over VICI on its control socket: --load-all of a swanctl.conf
    /// folder into a daemon started with an empty configuration, --list-conns, --initiate (with the control-log
    /// streamed), --list-sas, ping to strongSwan in another namespace, --stats, a refused connection that leaves the
    /// running one alone, --terminate; and a scrape of --metrics whose byte counters moved and which is valid
    /// Prometheus text.
    /// </summary>
    [InteropFact]
    public void SwanctlDrivesPortcullisOverVici() => InteropEnvironment.RunCase(output, "vici", "portcullis");

    /// <summary>
    /// The same with ECDSA certificates and a daemon without credential folders: swanctl --load-all sends the
    /// certificates, the CRL and the private key (load-cert, load-key) and the connection with its certificates; the
    /// tunnel to strongSwan comes up, each side verifying the other's certificate, and a second --load-all keeps it.
    /// </summary>
    [InteropFact]
    public void SwanctlLoadsCertificatesAndKeysOverVici() => InteropEnvironment.RunCase(output, "vici-cert", "portcullis");
}
