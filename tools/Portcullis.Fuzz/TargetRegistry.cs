using Portcullis.Fuzz.Targets;

namespace Portcullis.Fuzz;

/// <summary>Every fuzz target: one per parser and engine entry point a peer (or a local user) can reach.</summary>
public static class TargetRegistry
{
    /// <summary>All targets, in the order a run takes them.</summary>
    public static IReadOnlyList<FuzzTargetInfo> All { get; } =
    [
        new("ikev2-message", "IKEv2 header and cleartext payload chain parsers; re-encode round trip", () => new Ikev2MessageTarget()),
        new("ikev2-responder", "datagrams into an IKEv2 responder (UDP 500) from an unauthenticated peer; bounded state", () => new ResponderTarget(2)),
        new("ikev2-initiator", "IKE_SA_INIT responses into an initiator (live SPIi patched in)", () => new InitiatorTarget()),
        new("ikev2-forged", "datagrams with the live SPIs into an established IKEv2 pair, without its keys; nothing may change", () => new ForgedTarget(2)),
        new("ikev2-decrypted", "plaintext payload chains encrypted with the established SA's keys, whole or as IKE fragments; retransmitted requests get the cached response", () => new DecryptedTarget()),
        new("ikev1-message", "ISAKMP header and cleartext payload parsers", () => new Ikev1MessageTarget()),
        new("ikev1-responder", "datagrams into an IKEv1 responder from an unauthenticated peer; bounded state", () => new ResponderTarget(1)),
        new("ikev1-decrypted", "payload chains behind a correct HASH(1), encrypted with an established ISAKMP SA's key (Informational, Quick Mode, Transaction)", () => new Ikev1DecryptedTarget()),
        new("ikev1-forged", "datagrams with the live cookies into an established IKEv1 pair, without its keys; nothing may change", () => new ForgedTarget(1)),
        new("esp", "inbound ESP against AES-GCM and AES-CBC+HMAC SAs: only genuine packets delivered, once; drops counted", () => new EspTarget()),
        new("ah", "inbound AH (whole IP packets) against HMAC, AES-GMAC+ESN tunnel and HMAC transport SAs: only genuine packets delivered, once; drops counted", () => new AhTarget()),
        new("udp-4500", "datagrams on the NAT-T port: RFC 3948 classification (non-ESP marker, NAT-keepalive, ESP), then ESP through the SAD into the ESP processor and IKE into the parsers", () => new UdpEncapsulationTarget()),
        new("l2tp-message", "L2TP header, control messages, AVPs and hidden AVPs", () => new L2tpMessageTarget()),
        new("l2tp-lns", "L2TP conversations (control and data) into a fresh LNS", () => new L2tpServerTarget()),
        new("ppp-packets", "PPP frames: LCP/IPCP options, echo, protocol reject, CHAP, MS-CHAPv2, PAP", () => new PppPacketTarget()),
        new("ppp-lns", "PPP conversations (LCP, MS-CHAPv2/CHAP/PAP, IPCP) into a fresh server session", () => new PppServerTarget()),
        new("eap", "EAP packets and EAP-MSCHAPv2 type data", () => new EapTarget()),
        new("x509", "certificates and CRLs (DER), as a CERT payload carries them", () => new X509Target()),
        new("swanctl-conf", "the swanctl.conf loader", () => new SwanctlTarget()),
        new("strongswan-conf", "the daemon settings file (strongswan.conf syntax)", () => new SettingsTarget()),
        new("proposals", "strongSwan proposal strings", () => new ProposalTarget()),
        new("vici-packet", "VICI client streams: segment length, packet, message; what parses encodes back to the same bytes", () => new ViciPacketTarget()),
        new("vici-session", "VICI client streams through a session (packet types, event registration), load-conn/load-pool/load-shared through Core's VICI-to-config mapping and loader; one answer per request", () => new ViciSessionTarget()),
        new("control-request", "a control-socket request line (JSON)", () => new ControlRequestTarget()),
    ];

    /// <summary>A target by name.</summary>
    public static FuzzTargetInfo Get(string name) =>
        All.FirstOrDefault(t => t.Name == name) ?? throw new ArgumentException($"no fuzz target '{name}' (see 'list')");
}
