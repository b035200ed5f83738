using Xunit.Abstractions;

namespace Portcullis.Interop.Tests;

/// <summary>
/// Portcullis against a stock Debian kernel: strongSwan and the L2TP/PPP client stack in QEMU guests
/// (tests/interop/guest), with the kernel's own ESP (XFRM) as the data plane, so plain ESP on IP protocol 50 and
/// L2TP/IPsec are checked against the implementation most peers run. Emulated without KVM, the guests load the
/// machine: each case runs alone (see <c>InteropEnvironment.RunCase</c>). The image is built once and cached
/// (scripts/test.sh builds it before the tests; a case builds it when missing).
/// </summary>
[Collection("interop")]
public sealed class KernelPeerInteropTests(ITestOutputHelper output)
{
    /// <summary>
    /// The variants run today: IKE version, mode, protocol, proposals and who initiates. ESP transport-mode variants
    /// are written (run-case.sh kernel VERSION transport|tunnel esp|ah …); see tests/interop/README.md, "pending
    /// Portcullis support".
    /// </summary>
    public static TheoryData<string, string, string, string, string, string> Variants() => new()
    {
        { "2", "tunnel", "esp", "aes128gcm16-prfsha256-ecp256", "aes128gcm16", "guest" },
        { "2", "tunnel", "esp", "aes256-sha256-modp2048", "aes256-sha256", "portcullis" },
        { "1", "tunnel", "esp", "aes128-sha256-modp2048", "aes128-sha256", "guest" },
        { "1", "tunnel", "esp", "aes256-sha1-modp2048", "aes256gcm16", "portcullis" },
        // General transport mode: host to host, ping between the two hosts' own addresses.
        { "2", "transport", "esp", "aes128gcm16-prfsha256-ecp256", "aes128gcm16", "guest" },
        { "1", "transport", "esp", "aes128-sha256-modp2048", "aes128-sha256", "portcullis" },
        // AH (IP protocol 51) against the kernel's AH, tunnel and transport mode, with and without ESN; ESP with ESN.
        { "2", "tunnel", "ah", "aes128-sha256-modp2048", "sha256", "portcullis" },
        { "2", "tunnel", "ah", "aes128-sha256-modp2048", "sha256-esn", "guest" },
        { "2", "transport", "ah", "aes128-sha256-modp2048", "sha1", "portcullis" },
        { "2", "tunnel", "esp", "aes128gcm16-prfsha256-ecp256", "aes128gcm16-esn", "portcullis" },
        { "2", "tunnel", "esp", "aes128-sha256-modp2048", "aes128-sha256-esn", "guest" },
        // IKEv1 ESN: RFC 4304's Quick Mode attribute, sent by us and by strongSwan.
        { "1", "tunnel", "esp", "aes128-sha256-modp2048", "aes128-sha256-esn", "portcullis" },
    };

    /// <summary>
    /// A tunnel or a transport-mode SA with the guest's strongSwan on kernel ESP: established by either side, ping both ways, the guest's
    /// kernel holds SAs with Portcullis's SPIs and counted the packets, the capture shows IP protocol 50 and no ESP in
    /// UDP 4500, tshark decrypts our IKE.
    /// </summary>
    [KernelPeerTheory]
    [MemberData(nameof(Variants))]
    public void KernelIpsecPeer(string version, string mode, string protocol, string ike, string child, string initiator) =>
        InteropEnvironment.RunCase(output, TimeSpan.FromMinutes(4), "kernel", version, mode, protocol, ike, child, initiator);

    /// <summary>
    /// Portcullis's L2TP/IPsec server with two Linux clients at once (strongSwan IKEv1 transport mode, xl2tpd as LAC,
    /// pppd with MS-CHAPv2 only): each ppp0 gets its own address from the pool and pings the server's addresses; a
    /// wrong password is refused at MS-CHAPv2 on both sides; no cleartext L2TP on the wire.
    /// </summary>
    [KernelPeerFact]
    public void L2tpClientsOnALinuxKernel() => InteropEnvironment.RunCase(output, TimeSpan.FromMinutes(4), "kernel-l2tp");
}
