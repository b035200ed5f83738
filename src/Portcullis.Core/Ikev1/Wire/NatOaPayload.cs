using System.Net;
using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.Ikev1.Wire;

/// <summary>
/// NAT Original Address payload (RFC 3947 §5.2): an address as its owner sees it, sent in Quick Mode for
/// UDP-Encapsulated-Transport so that the receiver can fix up TCP and UDP checksums.
/// <code>
///  ID Type (1: ID_IPV4_ADDR or 5: ID_IPV6_ADDR) | RESERVED (1) | RESERVED (2) | IPv4 (4) or IPv6 (16) Address
/// </code>
/// </summary>
public sealed class NatOaPayload(IPAddress address) : IsakmpPayload
{
    /// <inheritdoc />
    public override IsakmpPayloadType Type => IsakmpPayloadType.NatOriginalAddress;

    /// <summary>The original address.</summary>
    public IPAddress Address { get; } = address;

    /// <inheritdoc />
    public override int BodyLength => 4 + (Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 4 : 16);

    /// <inheritdoc />
    public override void WriteBody(Span<byte> destination)
    {
        bool v4 = Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork;
        destination[0] = v4 ? (byte)Ikev1IdType.Ipv4Addr : (byte)Ikev1IdType.Ipv6Addr;
        destination[1] = destination[2] = destination[3] = 0;
        Address.TryWriteBytes(destination[4..], out _);
    }

    /// <summary>Parses the body.</summary>
    public static bool TryParse(ReadOnlySpan<byte> body, out NatOaPayload? payload, out ParseError error)
    {
        payload = null;
        error = default;
        if (body.Length < 4) { error = new("ID Type", $"NAT-OA body of {body.Length} bytes"); return false; }
        int expected = body[0] switch { (byte)Ikev1IdType.Ipv4Addr => 4, (byte)Ikev1IdType.Ipv6Addr => 16, _ => -1 };
        if (expected < 0) { error = new("ID Type", $"{body[0]} in NAT-OA, must be ID_IPV4_ADDR or ID_IPV6_ADDR"); return false; }
        if (body.Length != 4 + expected) { error = new("IP Address", $"{body.Length - 4} bytes for ID type {body[0]}, must be {expected}"); return false; }
        payload = new NatOaPayload(new IPAddress(body[4..]));
        return true;
    }
}
