using System.Net;

namespace Portcullis.Core.Ikev2;

/// <summary>
/// What the data plane and the listings need of the SA that keyed a CHILD SA, whichever IKE version made it: an
/// IKEv2 <see cref="IkeSa"/> or an IKEv1 <see cref="Ikev1.IsakmpSa"/>.
/// </summary>
public interface IIkeSa
{
    /// <summary>The connection's name, or "-" before one is known.</summary>
    string Name { get; }

    /// <summary>Unique ID within this daemon, as in every log line.</summary>
    uint Uid { get; }

    /// <summary>1 or 2.</summary>
    int IkeVersion { get; }

    /// <summary>Local address and port in use.</summary>
    IPEndPoint LocalEndpoint { get; }

    /// <summary>Peer address and port in use.</summary>
    IPEndPoint RemoteEndpoint { get; }

    /// <summary>ESP inside UDP (RFC 3948): NAT either side, or <c>encap = yes</c>.</summary>
    bool UdpEncapsulation { get; }
}
