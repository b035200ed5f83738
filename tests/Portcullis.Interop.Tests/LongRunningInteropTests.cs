using Xunit.Abstractions;

namespace Portcullis.Interop.Tests;

/// <summary>
/// The interop cases that live for a minute or more, mostly waiting on lifetimes, DPD and retransmission timers
/// (rekeying, DPD, loss, MOBIKE, hostile traffic, the cookie flood). Their own collection runs beside
/// <see cref="StrongSwanInteropTests"/>' (both mostly wait, so the machine has room); the flood and the hostile traffic get the
/// machine to themselves (see <c>InteropEnvironment.RunCase</c>).
/// </summary>
[Collection("interop-long")]
public sealed class LongRunningInteropTests(ITestOutputHelper output)
{
    /// <summary>
    /// IKEv1 lifetimes against strongSwan: Quick Mode SAs rekeyed by either side, our ISAKMP SA renewed by
    /// reauthentication with its Quick Mode SAs moving over, and a 50 s ping stream without a loss.
    /// </summary>
    [InteropFact]
    public void Ikev1Rekeying() => InteropEnvironment.RunCase(output, "ikev1-rekey", "portcullis");

    /// <summary>
    /// IKEv1 DPD (RFC 3706) against strongSwan: R-U-THERE answered both ways; strongSwan killed, our SA cleared within
    /// dpd_delay + dpd_timeout and restarted by dpd_action = restart once strongSwan is back.
    /// </summary>
    [InteropFact]
    public void Ikev1DeadPeerDetection() => InteropEnvironment.RunCase(output, "ikev1-dpd", "portcullis");

    /// <summary>
    /// 10,000 IKE_SA_INIT requests from spoofed sources (tools/Portcullis.IkeFlood): cookies engage, the daemon's memory
    /// and log stay bounded, and strongSwan still brings its tunnel up within 5 s during the flood.
    /// </summary>
    [InteropFact]
    public void FloodOfSpoofedInitRequests() => InteropEnvironment.RunCase(output, "flood", "portcullis");

    /// <summary>
    /// Hostile traffic from the peer's address during an established tunnel (tests/interop/hostile.py): replayed and
    /// bit-flipped ESP, forged ESP and IKE, garbage, truncated and 65,000-byte datagrams, mangled IKE_SA_INIT, for 20 s
    /// under a ping stream: no ping lost, same CHILD SA, drops counted, memory flat, no stack trace, key or PSK in the log.
    /// </summary>
    [InteropFact]
    public void HostileTrafficDuringAnEstablishedTunnel() => InteropEnvironment.RunCase(output, "hostile", "portcullis");

    /// <summary>
    /// rekey_time = 10s on both sides and a 900-packet ping stream over 90 s: 5+ CHILD and 2+ IKE rekeys, started by each
    /// side, no inner packet lost or duplicated, one IKE and one CHILD SA at the end on both sides.
    /// </summary>
    [InteropFact]
    public void RekeyingWithoutLoss() => InteropEnvironment.RunCase(output, "rekey", "portcullis");

    /// <summary>
    /// strongSwan is killed: DPD clears the SA within dpd_delay + dpd_timeout and dpd_action = restart brings the tunnel
    /// back when it returns; a restarted strongSwan's INITIAL_CONTACT removes the stale SA before DPD would.
    /// </summary>
    [InteropFact]
    public void DeadPeerDetectionAndInitialContact() => InteropEnvironment.RunCase(output, "dpd", "portcullis");

    /// <summary>A router drops 30 % of UDP 500/4500 at random: the tunnel still establishes and rekeys (CHILD and IKE).</summary>
    [InteropFact]
    public void LossyPathEstablishesAndRekeys() => InteropEnvironment.RunCase(output, "lossy", "portcullis");

    /// <summary>rekey_packets = 300 without a rekey_time: the data plane's packet count starts the rekeys, no ping is lost.</summary>
    [InteropFact]
    public void RekeyOnPacketCount() => InteropEnvironment.RunCase(output, "volume", "portcullis");

    /// <summary>
    /// MOBIKE: a client moving from one address to another keeps its tunnel. The road warrior (strongSwan, or
    /// Portcullis) loses its address mid-stream and sends UPDATE_SA_ADDRESSES from the new one; the same IKE SA goes
    /// on and pings keep flowing (strongSwan's userspace ESP then rekeys its CHILD SA, as it cannot move one in place).
    /// </summary>
    [InteropTheory]
    [InlineData("strongswan")]
    [InlineData("portcullis")]
    public void MobikeClientChangesAddress(string mover) => InteropEnvironment.RunCase(output, "mobike", mover);

    /// <summary>MOBIKE between two Portcullis daemons: the moving client keeps the very same IKE and CHILD SAs (same SPIs).</summary>
    [InteropFact]
    public void MobikeBetweenTwoPortcullisDaemons() => InteropEnvironment.RunCase(output, "mobike-pair", "portcullis");
}
