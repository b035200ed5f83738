using Microsoft.Extensions.Logging;

namespace Portcullis.Core.L2tp;

/// <summary>
/// The LNS (L2TP Network Server, RFC 2661): accepts tunnels (SCCRQ, SCCRP, SCCCN) and incoming calls (ICRQ, ICRP,
/// ICCN) from any number of LACs at once, each tunnel known by the peer's endpoint and our own Tunnel ID, so two
/// clients behind one NAT, even with the same Assigned Tunnel ID, stay apart. It never initiates.
/// <para>The host must only feed datagrams that arrived inside an ESP SA (see <see cref="L2tpEngine"/>).</para>
/// </summary>
public sealed class L2tpServer(L2tpOptions options, ILogger logger) : L2tpEngine(options, logger)
{
    private protected override bool AcceptsTunnels => true;
}
