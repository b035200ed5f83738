namespace Portcullis.Core.Ikev2.Wire;

/// <summary>
/// Configuration attribute types (RFC 7296 §3.15.1, IANA "IKEv2 Configuration Payload Attribute Types"). Private types
/// clients send (Cisco Unity 28672-28767 from strongSwan and iOS) have no name here; they are kept as numbers.
/// </summary>
public enum ConfigurationAttributeType : ushort
{
    /// <summary>INTERNAL_IP4_ADDRESS: empty in a request (any address) or the 4-byte address.</summary>
    InternalIp4Address = 1,
    /// <summary>INTERNAL_IP4_NETMASK: the netmask of the internal network.</summary>
    InternalIp4Netmask = 2,
    /// <summary>INTERNAL_IP4_DNS: a DNS server.</summary>
    InternalIp4Dns = 3,
    /// <summary>INTERNAL_IP4_NBNS: a NetBIOS name server (WINS).</summary>
    InternalIp4Nbns = 4,
    /// <summary>INTERNAL_IP4_DHCP: a DHCP server to ask for more.</summary>
    InternalIp4Dhcp = 6,
    /// <summary>APPLICATION_VERSION: free text about the sender's software.</summary>
    ApplicationVersion = 7,
    /// <summary>INTERNAL_IP6_ADDRESS: empty, or 16 address bytes and a prefix length.</summary>
    InternalIp6Address = 8,
    /// <summary>INTERNAL_IP6_DNS: a DNS server.</summary>
    InternalIp6Dns = 10,
    /// <summary>INTERNAL_IP6_NBNS: RFC 4306 only (reserved since RFC 7296); Windows still asks for it.</summary>
    InternalIp6Nbns = 11,
    /// <summary>INTERNAL_IP6_DHCP: a DHCPv6 server.</summary>
    InternalIp6Dhcp = 12,
    /// <summary>INTERNAL_IP4_SUBNET: a network reachable through the gateway, address and netmask.</summary>
    InternalIp4Subnet = 13,
    /// <summary>SUPPORTED_ATTRIBUTES: a list of 2-byte attribute types.</summary>
    SupportedAttributes = 14,
    /// <summary>INTERNAL_IP6_SUBNET: a network reachable through the gateway, address and prefix length.</summary>
    InternalIp6Subnet = 15,
    /// <summary>INTERNAL_DNS_DOMAIN (RFC 8598): a domain whose names the tunnel's DNS servers resolve.</summary>
    InternalDnsDomain = 25,
    /// <summary>INTERNAL_IP4_SERVER (Microsoft, private use): strongSwan takes it as a sign of a Windows client.</summary>
    MsInternalIp4Server = 23456,
    /// <summary>INTERNAL_IP6_SERVER (Microsoft, private use).</summary>
    MsInternalIp6Server = 23457,
}

/// <summary>Names and value lengths of configuration attribute types.</summary>
public static class ConfigurationAttributeTypeExtensions
{
    /// <summary>The RFC's name (<c>INTERNAL_IP4_ADDRESS</c>), or <c>ATTRIBUTE(n)</c> for a type without one.</summary>
    public static string RfcName(this ConfigurationAttributeType type) => type switch
    {
        ConfigurationAttributeType.InternalIp4Address => "INTERNAL_IP4_ADDRESS",
        ConfigurationAttributeType.InternalIp4Netmask => "INTERNAL_IP4_NETMASK",
        ConfigurationAttributeType.InternalIp4Dns => "INTERNAL_IP4_DNS",
        ConfigurationAttributeType.InternalIp4Nbns => "INTERNAL_IP4_NBNS",
        ConfigurationAttributeType.InternalIp4Dhcp => "INTERNAL_IP4_DHCP",
        ConfigurationAttributeType.ApplicationVersion => "APPLICATION_VERSION",
        ConfigurationAttributeType.InternalIp6Address => "INTERNAL_IP6_ADDRESS",
        ConfigurationAttributeType.InternalIp6Dns => "INTERNAL_IP6_DNS",
        ConfigurationAttributeType.InternalIp6Nbns => "INTERNAL_IP6_NBNS",
        ConfigurationAttributeType.InternalIp6Dhcp => "INTERNAL_IP6_DHCP",
        ConfigurationAttributeType.InternalIp4Subnet => "INTERNAL_IP4_SUBNET",
        ConfigurationAttributeType.SupportedAttributes => "SUPPORTED_ATTRIBUTES",
        ConfigurationAttributeType.InternalIp6Subnet => "INTERNAL_IP6_SUBNET",
        ConfigurationAttributeType.InternalDnsDomain => "INTERNAL_DNS_DOMAIN",
        ConfigurationAttributeType.MsInternalIp4Server => "INTERNAL_IP4_SERVER",
        ConfigurationAttributeType.MsInternalIp6Server => "INTERNAL_IP6_SERVER",
        _ => $"ATTRIBUTE({(ushort)type})",
    };

    /// <summary>
    /// Whether a value of <paramref name="length"/> bytes is allowed for the type (RFC 7296 §3.15.1's table: empty, or
    /// exactly the size of the value). Types with variable or unknown values take any length, and so do Microsoft's
    /// private ones, whose format is not published.
    /// </summary>
    public static bool IsValidLength(this ConfigurationAttributeType type, int length) => type switch
    {
        ConfigurationAttributeType.InternalIp4Address or ConfigurationAttributeType.InternalIp4Netmask or ConfigurationAttributeType.InternalIp4Dns
            or ConfigurationAttributeType.InternalIp4Nbns or ConfigurationAttributeType.InternalIp4Dhcp => length is 0 or 4,
        ConfigurationAttributeType.InternalIp6Dns or ConfigurationAttributeType.InternalIp6Nbns or ConfigurationAttributeType.InternalIp6Dhcp => length is 0 or 16,
        ConfigurationAttributeType.InternalIp6Address or ConfigurationAttributeType.InternalIp6Subnet => length is 0 or 17,
        ConfigurationAttributeType.InternalIp4Subnet => length is 0 or 8,
        ConfigurationAttributeType.SupportedAttributes => length % 2 == 0,
        _ => true,
    };
}
