using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Portcullis.Core.Ikev2;
using Portcullis.Core.Ikev2.Wire;
using Portcullis.Core.Ipsec;

namespace Portcullis.Core.Ikev1.Wire;

/// <summary>Identification Type values of the IPsec DOI (RFC 2407 §4.6.2.1).</summary>
public enum Ikev1IdType : byte
{
    /// <summary>ID_IPV4_ADDR.</summary>
    Ipv4Addr = 1,
    /// <summary>ID_FQDN.</summary>
    Fqdn = 2,
    /// <summary>ID_USER_FQDN.</summary>
    UserFqdn = 3,
    /// <summary>ID_IPV4_ADDR_SUBNET: address and mask.</summary>
    Ipv4AddrSubnet = 4,
    /// <summary>ID_IPV6_ADDR.</summary>
    Ipv6Addr = 5,
    /// <summary>ID_IPV6_ADDR_SUBNET: address and mask.</summary>
    Ipv6AddrSubnet = 6,
    /// <summary>ID_IPV4_ADDR_RANGE: first and last address.</summary>
    Ipv4AddrRange = 7,
    /// <summary>ID_IPV6_ADDR_RANGE: first and last address.</summary>
    Ipv6AddrRange = 8,
    /// <summary>ID_DER_ASN1_DN.</summary>
    DerAsn1Dn = 9,
    /// <summary>ID_DER_ASN1_GN.</summary>
    DerAsn1Gn = 10,
    /// <summary>ID_KEY_ID.</summary>
    KeyId = 11,
}

/// <summary>
/// Identification payload (RFC 2408 §3.8, RFC 2407 §4.6.2): the peer's identity in phase 1 (IDii, IDir), the traffic
/// of a Quick Mode SA in phase 2 (IDci, IDcr).
/// <code>
///  ID Type (1) | Protocol ID (1) | Port (2) | Identification Data
/// </code>
/// The body is IDii_b / IDir_b in HASH_I and HASH_R.
/// </summary>
public sealed class IdPayload(Ikev1IdType idType, byte protocol, ushort port, ReadOnlySpan<byte> data) : IsakmpPayload
{
    private readonly byte[] _data = data.ToArray();

    /// <inheritdoc />
    public override IsakmpPayloadType Type => IsakmpPayloadType.Identification;

    /// <summary>ID Type.</summary>
    public Ikev1IdType IdType { get; } = idType;

    /// <summary>IP protocol (0: any).</summary>
    public byte Protocol { get; } = protocol;

    /// <summary>Port (0: any).</summary>
    public ushort Port { get; } = port;

    /// <summary>Identification Data.</summary>
    public ReadOnlySpan<byte> Data => _data;

    /// <inheritdoc />
    public override int BodyLength => 4 + _data.Length;

    /// <inheritdoc />
    public override void WriteBody(Span<byte> destination)
    {
        destination[0] = (byte)IdType;
        destination[1] = Protocol;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], Port);
        _data.CopyTo(destination[4..]);
    }

    /// <summary>A phase 1 identity (protocol and port 0, as RFC 2407 §4.6.2 allows and strongSwan sends).</summary>
    public static IdPayload FromIdentity(Identity identity) => new((Ikev1IdType)identity.Type, 0, 0, identity.Data);

    /// <summary>The phase 1 identity; null for the subnet and range types, which name no single peer.</summary>
    public Identity? ToIdentity() => IdType switch
    {
        Ikev1IdType.Ipv4Addr or Ikev1IdType.Fqdn or Ikev1IdType.UserFqdn or Ikev1IdType.Ipv6Addr or Ikev1IdType.DerAsn1Dn
            or Ikev1IdType.DerAsn1Gn or Ikev1IdType.KeyId => new Identity((Portcullis.Core.Ikev2.IdType)IdType, _data),
        _ => null,
    };

    /// <summary>
    /// A Quick Mode identity for a traffic selector: ID_IPV4_ADDR for a host, _SUBNET for a prefix, _RANGE otherwise;
    /// null when the selector's ports are a range (IKEv1 carries one port or any).
    /// </summary>
    public static IdPayload? FromTrafficSelector(TrafficSelector ts)
    {
        ushort port;
        if (ts.StartPort == 0 && ts.EndPort == 65535) port = 0;
        else if (ts.StartPort == ts.EndPort) port = ts.StartPort;
        else return null;
        bool v4 = ts.Family == AddressFamily.InterNetwork;
        int size = v4 ? 4 : 16;
        if (ts.StartAddress.Equals(ts.EndAddress))
            return new IdPayload(v4 ? Ikev1IdType.Ipv4Addr : Ikev1IdType.Ipv6Addr, ts.Protocol, port, ts.StartAddress.GetAddressBytes());
        var data = new byte[2 * size];
        if (ts.TryGetPrefix(out IPAddress network, out int length))
        {
            network.TryWriteBytes(data, out _);
            for (int bit = 0; bit < length; bit++) data[size + bit / 8] |= (byte)(0x80 >> (bit % 8));
            return new IdPayload(v4 ? Ikev1IdType.Ipv4AddrSubnet : Ikev1IdType.Ipv6AddrSubnet, ts.Protocol, port, data);
        }
        ts.StartAddress.TryWriteBytes(data, out _);
        ts.EndAddress.TryWriteBytes(data.AsSpan(size), out _);
        return new IdPayload(v4 ? Ikev1IdType.Ipv4AddrRange : Ikev1IdType.Ipv6AddrRange, ts.Protocol, port, data);
    }

    /// <summary>The traffic selector of a Quick Mode identity; false with a reason for the other ID types or a non-contiguous mask.</summary>
    public bool TryGetTrafficSelector(out TrafficSelector selector, out string? problem)
    {
        selector = default;
        problem = null;
        ushort start = Port == 0 ? (ushort)0 : Port, end = Port == 0 ? (ushort)65535 : Port;
        switch (IdType)
        {
            case Ikev1IdType.Ipv4Addr or Ikev1IdType.Ipv6Addr:
                var host = new IPAddress(_data);
                selector = new TrafficSelector(host, host, Protocol, start, end);
                return true;
            case Ikev1IdType.Ipv4AddrRange or Ikev1IdType.Ipv6AddrRange:
            {
                int size = _data.Length / 2;
                var first = new IPAddress(_data.AsSpan(0, size));
                var last = new IPAddress(_data.AsSpan(size));
                if (TrafficSelector.Compare(first, last) > 0) { problem = $"range {first}-{last} ends before it starts"; return false; }
                selector = new TrafficSelector(first, last, Protocol, start, end);
                return true;
            }
            case Ikev1IdType.Ipv4AddrSubnet or Ikev1IdType.Ipv6AddrSubnet:
            {
                int size = _data.Length / 2;
                ReadOnlySpan<byte> mask = _data.AsSpan(size);
                int length = 0;
                while (length < size * 8 && (mask[length / 8] & (0x80 >> (length % 8))) != 0) length++;
                for (int bit = length; bit < size * 8; bit++)
                    if ((mask[bit / 8] & (0x80 >> (bit % 8))) != 0) { problem = $"subnet mask {new IPAddress(mask)} is not contiguous"; return false; }
                TrafficSelector prefix = TrafficSelector.ForPrefix(new IPAddress(_data.AsSpan(0, size)), length);
                selector = prefix with { Protocol = Protocol, StartPort = start, EndPort = end };
                return true;
            }
            default:
                problem = $"ID type {IdType} names no traffic";
                return false;
        }
    }

    /// <inheritdoc />
    public override string ToString() =>
        TryGetTrafficSelector(out TrafficSelector ts, out _) ? ts.ToString() : ToIdentity()?.ToString() ?? $"ID type {(byte)IdType}";

    /// <summary>Parses the body, checking the data length of the address types.</summary>
    public static bool TryParse(ReadOnlySpan<byte> body, out IdPayload? payload, out ParseError error)
    {
        payload = null;
        error = default;
        if (body.Length < 4) { error = new("ID Type", $"ID body of {body.Length} bytes"); return false; }
        var type = (Ikev1IdType)body[0];
        ReadOnlySpan<byte> data = body[4..];
        int expected = type switch
        {
            Ikev1IdType.Ipv4Addr => 4,
            Ikev1IdType.Ipv6Addr => 16,
            Ikev1IdType.Ipv4AddrSubnet or Ikev1IdType.Ipv4AddrRange => 8,
            Ikev1IdType.Ipv6AddrSubnet or Ikev1IdType.Ipv6AddrRange => 32,
            _ => -1,
        };
        if (expected >= 0 && data.Length != expected) { error = new("Identification Data", $"{type} of {data.Length} bytes, must be {expected}"); return false; }
        if (expected < 0 && data.Length == 0) { error = new("Identification Data", $"empty {type}"); return false; }
        payload = new IdPayload(type, body[1], BinaryPrimitives.ReadUInt16BigEndian(body[2..]), data);
        return true;
    }
}
