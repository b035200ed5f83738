using Xunit.Abstractions;

namespace Portcullis.Interop.Tests;

/// <summary>
/// Portcullis against Debian's strongSwan (userspace ESP via kernel-libipsec), each case in fresh namespaces.
/// The cases of this class run one after another, beside those of <see cref="LongRunningInteropTests"/> (another
/// collection); the few that load the machine run alone (see <c>InteropEnvironment.RunCase</c>).
/// </summary>
[Collection("interop")]
public sealed class StrongSwanInteropTests(ITestOutputHelper output)
{
    /// <summary>The proposal pairs issue 3 names; each is run with either side initiating.</summary>
    public static TheoryData<string, string, string> Tunnels()
    {
        var data = new TheoryData<string, string, string>();
        foreach (string initiator in (string[])["portcullis", "strongswan"])
        {
            data.Add(initiator, "aes128gcm16-prfsha256-ecp256", "aes128gcm16");
            data.Add(initiator, "aes256-sha256-modp2048", "aes256-sha256");
            data.Add(initiator, "chacha20poly1305-prfsha256-curve25519", "chacha20poly1305");
            data.Add(initiator, "aes256gcm16-prfsha384-ecp384", "aes256gcm16");
            data.Add(initiator, "aes128-sha1-modp2048", "aes128-sha1");
        }
        return data;
    }

    /// <summary>Establishes, pings both ways, compares both listings, checks the capture with tshark, stops with SIGTERM.</summary>
    [InteropTheory]
    [MemberData(nameof(Tunnels))]
    public void SiteToSiteTunnel(string initiator, string ikeProposal, string espProposal) =>
        InteropEnvironment.RunCase(output, "tunnel", initiator, ikeProposal, espProposal);

    /// <summary>IKEv1 proposal pairs: with and without PFS, each run with either side initiating.</summary>
    public static TheoryData<string, string, string> Ikev1Tunnels()
    {
        var data = new TheoryData<string, string, string>();
        foreach (string initiator in (string[])["portcullis", "strongswan"])
        {
            data.Add(initiator, "aes128-sha256-modp2048", "aes128-sha256");
            data.Add(initiator, "aes256-sha1-modp2048", "aes256-sha1-modp2048");
        }
        return data;
    }

    /// <summary>
    /// IKEv1 Main Mode with a PSK and Quick Mode, tunnel mode, ESP in UDP (strongSwan's userspace ESP fakes NAT-D):
    /// ping both ways, same SPIs and algorithms in both listings, tshark decrypts every ISAKMP message with our keys,
    /// DELETE on SIGTERM.
    /// </summary>
    [InteropTheory]
    [MemberData(nameof(Ikev1Tunnels))]
    public void Ikev1MainModePsk(string initiator, string ikeProposal, string espProposal) =>
        InteropEnvironment.RunCase(output, "ikev1", initiator, ikeProposal, espProposal);

    /// <summary>IKEv1 through the port-rewriting NAT: NAT-D detects it, IKE floats to 4500 (RFC 3947), ESP in UDP flows.</summary>
    [InteropTheory]
    [InlineData("portcullis")]
    [InlineData("strongswan")]
    public void Ikev1BehindNat(string initiator) => InteropEnvironment.RunCase(output, "ikev1-nat", initiator);

    /// <summary>
    /// IKEv1 Aggressive Mode with a PSK: strongSwan's offer is refused (with the reason in our log) until the connection
    /// sets aggressive = yes; with it, either side can initiate and the tunnel carries pings.
    /// </summary>
    [InteropTheory]
    [InlineData("portcullis")]
    [InlineData("strongswan")]
    public void Ikev1AggressiveMode(string initiator) => InteropEnvironment.RunCase(output, "ikev1-aggressive", initiator);

    /// <summary>IKEv1 with different PSKs: no SA, and our log names the likely cause on either side.</summary>
    [InteropTheory]
    [InlineData("portcullis")]
    [InlineData("strongswan")]
    public void Ikev1WrongPreSharedKey(string initiator) => InteropEnvironment.RunCase(output, "ikev1-wrong-psk", initiator);

    /// <summary>
    /// IKEv1 remote access as the Cisco IPsec client of iOS/macOS does it, the argument naming the client: Main Mode with
    /// a group PSK, XAUTH (user alice from an xauth- secret), Mode Config pull with a virtual IP and DNS from the pool,
    /// ping from the virtual IP; the lease returned when the SA goes; a wrong password refused with the user named.
    /// </summary>
    [InteropTheory]
    [InlineData("strongswan")]
    [InlineData("portcullis")]
    public void Ikev1XauthModeConfig(string client) => InteropEnvironment.RunCase(output, "ikev1-xauth", client);

    /// <summary>The same XAUTH and Mode Config with the client behind the port-rewriting NAT (RFC 3947).</summary>
    [InteropTheory]
    [InlineData("strongswan")]
    [InlineData("portcullis")]
    public void Ikev1XauthModeConfigBehindNat(string client) => InteropEnvironment.RunCase(output, "ikev1-xauth-nat", client);

    /// <summary>
    /// IKEv1 Main Mode with RSA signatures and pki-made certificates: CERTREQ, CERT and SIG each way, the tunnel
    /// carries pings, tshark decrypts every ISAKMP message; either side initiates.
    /// </summary>
    [InteropTheory]
    [InlineData("portcullis")]
    [InlineData("strongswan")]
    public void Ikev1Certificates(string initiator) => InteropEnvironment.RunCase(output, "ikev1-cert", initiator);

    /// <summary>The initiator sits behind a NAT that rewrites ports: IKE moves to 4500, ESP in UDP flows.</summary>
    [InteropTheory]
    [InlineData("portcullis")]
    [InlineData("strongswan")]
    public void BehindNatWithPortRewriting(string initiator) => InteropEnvironment.RunCase(output, "nat", initiator);

    /// <summary>Different secrets: AUTHENTICATION_FAILED and one warning line on Portcullis's side.</summary>
    [InteropTheory]
    [InlineData("portcullis")]
    [InlineData("strongswan")]
    public void WrongPreSharedKey(string initiator) => InteropEnvironment.RunCase(output, "wrong-psk", initiator);

    /// <summary>
    /// IKEv2 and ESP (in UDP) over IPv6 (2001:db8:1::/64), one CHILD SA with IPv6 and IPv4 selectors: ping6 and ping
    /// both ways, IPv6 routes on our TUN device, IKE and ESP over IPv6 only in the capture.
    /// </summary>
    [InteropTheory]
    [InlineData("portcullis")]
    [InlineData("strongswan")]
    public void Ipv6OuterWithIpv6AndIpv4Inner(string initiator) => InteropEnvironment.RunCase(output, "ipv6", initiator);

    /// <summary>IKEv1 Main Mode (PSK) and Quick Mode over IPv6 with IPv6 selectors: ping6 both ways.</summary>
    [InteropTheory]
    [InlineData("portcullis")]
    [InlineData("strongswan")]
    public void Ikev1OverIpv6(string initiator) => InteropEnvironment.RunCase(output, "ikev1-ipv6", initiator);

    /// <summary>IPv4 outside carrying IPv6 selectors: ping6 both ways, IKE and ESP over IPv4 only.</summary>
    [InteropTheory]
    [InlineData("portcullis")]
    [InlineData("strongswan")]
    public void Ipv4OuterWithIpv6Inner(string initiator) => InteropEnvironment.RunCase(output, "ipv6-inner", initiator);

    /// <summary>
    /// A strongSwan road warrior with vips = :: gets INTERNAL_IP6_ADDRESS and INTERNAL_IP6_DNS from our IPv6 pool
    /// over IPv6 and pings the gateway's inner network from its virtual address (and is pinged back).
    /// </summary>
    [InteropFact]
    public void Ipv6RemoteAccessVirtualAddress() => InteropEnvironment.RunCase(output, "ipv6-ra", "strongswan");

    /// <summary>No common proposal: NO_PROPOSAL_CHOSEN, with the lists and the transform type in the log.</summary>
    [InteropTheory]
    [InlineData("portcullis")]
    [InlineData("strongswan")]
    public void ProposalMismatch(string initiator) => InteropEnvironment.RunCase(output, "proposal-mismatch", initiator);

    /// <summary>Two Portcullis daemons without NAT: plain ESP (IP protocol 50) in both directions.</summary>
    [InteropTheory]
    [InlineData("aes128gcm16-prfsha256-ecp256", "aes128gcm16")]
    [InlineData("aes256-sha256-modp2048", "aes256-sha256")]
    public void PortcullisPairPlainEsp(string ikeProposal, string espProposal) =>
        InteropEnvironment.RunCase(output, "portcullis-pair", "portcullis", ikeProposal, espProposal);

    /// <summary>
    /// Two Portcullis daemons host to host in transport mode (IKEv2 or IKEv1, plain ESP over IPv4 or IPv6, or ESP in UDP behind the NAT):
    /// ping both ways and a TCP transfer between the hosts' own addresses, nothing but IKE in the clear, the policy
    /// rules and table routes removed on exit. (strongSwan's userspace ESP has no transport mode to test against.)
    /// </summary>
    [InteropTheory]
    [InlineData("ikev2", "pair")]
    [InlineData("ikev1", "pair")]
    [InlineData("ikev2", "pair6")]
    [InlineData("ikev2", "trap")]
    [InlineData("ikev2", "nat")]
    [InlineData("ikev1", "nat")]
    public void PortcullisPairTransportMode(string version, string topology) =>
        InteropEnvironment.RunCase(output, "transport-pair", "portcullis", version, topology);

    /// <summary>Two Portcullis daemons over IPv6: plain ESP as IPv6 next header 50, IPv6 and IPv4 inside.</summary>
    [InteropFact]
    public void PortcullisPairPlainEspOverIpv6() =>
        InteropEnvironment.RunCase(output, "portcullis-pair", "portcullis", "aes128gcm16-prfsha256-ecp256", "aes128gcm16", "ipv6");

    /// <summary>
    /// Two Portcullis daemons: an AH tunnel (IP protocol 51, RFC 4302) carrying ping, the captured AH frames bearing the
    /// SPIs both daemons list, and beside it an ESP tunnel with extended sequence numbers (aes128gcm16-esn).
    /// </summary>
    [InteropTheory]
    [InlineData("aes128gcm16-prfsha256-ecp256", "sha256-esn")]
    [InlineData("aes256-sha256-modp2048", "sha1,aesxcbc")]
    [InlineData("aes128gcm16-prfsha256-ecp256", "aes256gmac")]
    public void PortcullisPairAh(string ikeProposal, string ahProposal) =>
        InteropEnvironment.RunCase(output, "ah-pair", "portcullis", ikeProposal, ahProposal);

    /// <summary>Two Portcullis daemons, AH in transport mode host to host: ping inside IP protocol 51 only.</summary>
    [InteropFact]
    public void PortcullisPairAhTransport() =>
        InteropEnvironment.RunCase(output, "ah-pair", "portcullis", "aes128gcm16-prfsha256-ecp256", "sha256-esn", "transport");

    /// <summary>start_action = trap brings the tunnel up on traffic; close_action = start restores it after the peer's DELETE.</summary>
    [InteropFact]
    public void TrapAndCloseAction() => InteropEnvironment.RunCase(output, "trap", "portcullis");

    /// <summary>
    /// RFC 7383 with both sides at fragment_size = 256 (Portcullis through --settings): IKE_AUTH goes in SKF fragments
    /// both ways, each side reassembles the other's, tshark verifies every fragment, the tunnel carries pings.
    /// </summary>
    [InteropTheory]
    [InlineData("portcullis")]
    [InlineData("strongswan")]
    public void IkeFragmentation(string initiator) => InteropEnvironment.RunCase(output, "fragmentation", initiator);

    /// <summary>
    /// 8 MB each way over TCP against strongSwan and 24 MB between two Portcullis daemons, SHA-256 checked; between the daemons TSO
    /// from the TUN device, UDP GSO sends and coalesced GSO writes must all have been used.
    /// </summary>
    [InteropFact]
    public void BulkTransferArrivesIntact() => InteropEnvironment.RunCase(output, "bulk", "portcullis");

    /// <summary>
    /// Certificate authentication with RSA and with ECDSA, either side initiating: each checks the other's certificate
    /// against the CA, and the gateway's CRL refuses a revoked client.
    /// </summary>
    [InteropTheory]
    [InlineData("rsa", "portcullis")]
    [InlineData("rsa", "strongswan")]
    [InlineData("ecdsa", "portcullis")]
    [InlineData("ecdsa", "strongswan")]
    public void CertificateAuthentication(string keyType, string initiator) => InteropEnvironment.RunCase(output, "cert", keyType, initiator);

    /// <summary>
    /// EAP-MSCHAPv2 road warrior, Portcullis as gateway (strongSwan the client) and as client (strongSwan the gateway):
    /// virtual IP and DNS from the pool, traffic from the virtual IP, the lease returned, a wrong password refused.
    /// </summary>
    [InteropTheory]
    [InlineData("strongswan")]
    [InlineData("portcullis")]
    public void EapMschapv2WithVirtualIp(string client) => InteropEnvironment.RunCase(output, "eap", client);

    /// <summary>Twenty strongSwan clients at once: each gets its own address from the pool and reaches the inner network.</summary>
    [InteropFact]
    public void TwentyRoadWarriors() => InteropEnvironment.RunCase(output, "clients", "20");

    /// <summary>
    /// packaging/build-deb.sh: the .deb installs into an empty root with dpkg, and the installed self-contained binary
    /// starts in a fresh network namespace without .NET on PATH, reports READY=1 and STOPPING=1 to a systemd-style
    /// notify socket and lists the example connection; the man page documents every command of --help.
    /// </summary>
    [InteropFact]
    public void DebianPackageInstallsAndStarts() => InteropEnvironment.RunCase(output, TimeSpan.FromMinutes(10), "package", "portcullis");
}
