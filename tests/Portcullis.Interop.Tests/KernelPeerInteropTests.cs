using Xunit.Abstractions;

namespace Portcullis.Interop.Tests;

/// <summary>
/// Portcullis against a stock Debian kernel: strongSwan and the L2TP/PPP client stack in QEMU guests
/// (tests/interop/guest), with the kernel's own ESP (XFRM) as the data plane, so plain ESP on IP protocol 50 and
/// L2TP/IPsec are checked against the implementation most peers run. Emulated without KVM, the guests load the
/// machine while they boot: a case with one guest runs beside the other collections, the two-guest L2TP case alone
/// (see <c>InteropEnvironment.RunCase</c>). The image is built once and cached
/// (scripts/test.sh builds it before the tests; a case builds it when missing).
/// </summary>
[Collection("interop-kernel")]
public sealed class KernelPeerInteropTests(ITestOutputHelper output)
{
    /// <summary>
    /// The variants CI runs: IKE version, mode, protocol, proposals and who initiates. Each row proves something the
    /// others do not, since every case boots a guest (about 35 s): IKEv2 and IKEv1, tunnel and
    /// transport mode, ESP (AEAD and CBC+HMAC) and AH, ESN with each, either side initiating. More combinations run by
    /// hand (run-case.sh kernel VERSION tunnel|transport esp|ah IKE CHILD guest|portcullis; tests/interop/README.md).
    /// </summary>
    public static TheoryData<string, string, string, string, string, string> Variants() => new()
    {
        { "2", "tunnel", "esp", "aes128gcm16-prfsha256-ecp256", "aes128gcm16", "guest" },
        { "2", "tunnel", "esp", "aes128gcm16-prfsha256-ecp256", "aes128gcm16-esn", "portcullis" },
        { "2", "tunnel", "esp", "aes128-sha256-modp2048", "aes128-sha256-esn", "guest" },
        { "1", "tunnel", "esp", "aes128-sha256-modp2048", "aes128-sha256", "guest" },
        // IKEv1 ESN: RFC 4304's Quick Mode attribute, sent by us and by strongSwan.
        { "1", "tunnel", "esp", "aes128-sha256-modp2048", "aes128-sha256-esn", "portcullis" },
        // General transport mode: the two hosts' own traffic.
        { "2", "transport", "esp", "aes128gcm16-prfsha256-ecp256", "aes128gcm16", "guest" },
        { "1", "transport", "esp", "aes128-sha256-modp2048", "aes128-sha256", "portcullis" },
        // AH (IP protocol 51) against the kernel's ah4, tunnel with ESN and transport without.
        { "2", "tunnel", "ah", "aes128-sha256-modp2048", "sha256-esn", "guest" },
        { "2", "transport", "ah", "aes128-sha256-modp2048", "sha1", "portcullis" },
        // AH negotiated in IKEv1 Quick Mode (PROTO_IPSEC_AH): strongSwan's proposal parsed by us.
        { "1", "tunnel", "ah", "aes128-sha256-modp2048", "sha256", "guest" },
    };

    /// <summary>
    /// An SA with the guest's strongSwan on kernel ESP (tunnel or transport mode): established by either side, ping
    /// both ways (inner addresses, or the hosts' own in transport mode), the guest's
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
