using System.Net;
using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.Ppp;

/// <summary>
/// The IP Control Protocol (RFC 1332) with RFC 1877's name server options, on the shared automaton.
/// <para>
/// Server: sends its own IP-Address (if configured); Naks the peer's IP-Address (0.0.0.0 or anything else) with the
/// address assigned to it, and asks for it when the peer left it out; Naks DNS/NBNS options with the configured
/// servers, or rejects them when none are configured; rejects IP-Compression-Protocol (Van Jacobson), the old
/// IP-Addresses and anything unknown.
/// Client: asks for 0.0.0.0 (or a configured address) and the two DNS servers and takes the values Nak'ed back;
/// acknowledges the server's IP-Address and rejects everything else.
/// </para>
/// </summary>
internal sealed class Ipcp : PppAutomaton
{
    private readonly IPppLayerEvents _events;
    private readonly bool _server;
    private bool _localRejected;

    // Client requests; null once rejected.
    private IPAddress _requestAddress;
    private IPAddress? _requestDns1;
    private IPAddress? _requestDns2;

    public Ipcp(PppContext context, IPppLayerEvents events) : base(context, (ushort)PppProtocol.Ipcp, "IPCP")
    {
        _events = events;
        _server = context.Options.Role == PppRole.Server;
        _requestAddress = context.Options.RequestedAddress ?? IPAddress.Any;
        if (!_server && context.Options.RequestDns)
        {
            _requestDns1 = IPAddress.Any;
            _requestDns2 = IPAddress.Any;
        }
    }

    /// <summary>Server: the address for the peer (set before <see cref="PppAutomaton.Open"/>).</summary>
    public IPAddress? AssignedPeerAddress { get; set; }

    /// <summary>Our address: the server's configured one, or what the client was given.</summary>
    public IPAddress LocalAddress { get; private set; } = IPAddress.Any;

    /// <summary>The peer's address: the one assigned (server) or the server's own (client).</summary>
    public IPAddress PeerAddress { get; private set; } = IPAddress.Any;

    /// <summary>DNS servers handed out (server) or received (client).</summary>
    public IReadOnlyList<IPAddress> Dns { get; private set; } = [];

    /// <summary>NBNS servers handed out (server).</summary>
    public IReadOnlyList<IPAddress> Nbns { get; private set; } = [];

    protected override string OptionName(byte type) => IpcpOptions.Name(type);

    protected override IReadOnlyList<PppOption> BuildConfigureRequest()
    {
        var options = new List<PppOption>();
        if (_server)
        {
            if (Context.Options.LocalAddress is IPAddress local && !_localRejected) options.Add(IpcpOptions.Address(IpcpOptionType.IpAddress, local));
            return options;
        }
        options.Add(IpcpOptions.Address(IpcpOptionType.IpAddress, _requestAddress));
        if (_requestDns1 is not null) options.Add(IpcpOptions.Address(IpcpOptionType.PrimaryDnsAddress, _requestDns1));
        if (_requestDns2 is not null) options.Add(IpcpOptions.Address(IpcpOptionType.SecondaryDnsAddress, _requestDns2));
        return options;
    }

    protected override void EvaluateConfigureRequest(IReadOnlyList<PppOption> options, ConfigureReply reply)
    {
        if (_server) EvaluateAsServer(options, reply);
        else EvaluateAsClient(options, reply);
    }

    private void EvaluateAsServer(IReadOnlyList<PppOption> options, ConfigureReply reply)
    {
        IPAddress assigned = AssignedPeerAddress ?? IPAddress.Any;
        bool sawAddress = false;
        var dns = new List<IPAddress>();
        var nbns = new List<IPAddress>();
        foreach (PppOption o in options)
        {
            var type = (IpcpOptionType)o.Type;
            ParseError error;
            switch (type)
            {
                case IpcpOptionType.IpAddress:
                    sawAddress = true;
                    if (!IpcpOptions.TryReadAddress(o, out IPAddress asked, out error)) { reply.Reject(o, error.ToString()); break; }
                    if (!asked.Equals(assigned)) reply.Nak(o, IpcpOptions.Address(type, assigned), $"peer asks for {asked}; its address is {assigned}");
                    break;
                case IpcpOptionType.PrimaryDnsAddress or IpcpOptionType.SecondaryDnsAddress or IpcpOptionType.PrimaryNbnsAddress or IpcpOptionType.SecondaryNbnsAddress:
                {
                    if (!IpcpOptions.TryReadAddress(o, out IPAddress askedServer, out error)) { reply.Reject(o, error.ToString()); break; }
                    bool isDns = type is IpcpOptionType.PrimaryDnsAddress or IpcpOptionType.SecondaryDnsAddress;
                    int index = type is IpcpOptionType.PrimaryDnsAddress or IpcpOptionType.PrimaryNbnsAddress ? 0 : 1;
                    IReadOnlyList<IPAddress> configured = isDns ? Context.Options.Dns : Context.Options.Nbns;
                    if (index >= configured.Count) { reply.Reject(o, $"no {IpcpOptions.Name(o.Type)} configured"); break; }
                    IPAddress ours = configured[index];
                    if (!askedServer.Equals(ours)) reply.Nak(o, IpcpOptions.Address(type, ours), $"{IpcpOptions.Name(o.Type)} is {ours}");
                    (isDns ? dns : nbns).Add(ours);
                    break;
                }
                case IpcpOptionType.IpCompressionProtocol:
                    reply.Reject(o, "IP-Compression-Protocol (Van Jacobson) is not offered");
                    break;
                default:
                    reply.Reject(o, $"{IpcpOptions.Name(o.Type)} is not supported");
                    break;
            }
        }
        if (!sawAddress) reply.Suggest(IpcpOptions.Address(IpcpOptionType.IpAddress, assigned), "peer did not ask for an IP-Address; telling it its own");
        if (reply.Naks.Count == 0 && reply.Rejects.Count == 0)
        {
            PeerAddress = assigned;
            Dns = dns;
            Nbns = nbns;
        }
    }

    private void EvaluateAsClient(IReadOnlyList<PppOption> options, ConfigureReply reply)
    {
        IPAddress server = IPAddress.Any;
        foreach (PppOption o in options)
        {
            if ((IpcpOptionType)o.Type == IpcpOptionType.IpAddress)
            {
                if (!IpcpOptions.TryReadAddress(o, out server, out ParseError error)) reply.Reject(o, error.ToString());
            }
            else reply.Reject(o, $"{IpcpOptions.Name(o.Type)} is not supported");
        }
        if (reply.Naks.Count == 0 && reply.Rejects.Count == 0) PeerAddress = server;
    }

    protected override void ConfigureAcked(IReadOnlyList<PppOption> options)
    {
        if (_server)
        {
            LocalAddress = _localRejected ? IPAddress.Any : Context.Options.LocalAddress ?? IPAddress.Any;
            return;
        }
        LocalAddress = _requestAddress;
        var dns = new List<IPAddress>();
        if (_requestDns1 is not null && !_requestDns1.Equals(IPAddress.Any)) dns.Add(_requestDns1);
        if (_requestDns2 is not null && !_requestDns2.Equals(IPAddress.Any)) dns.Add(_requestDns2);
        Dns = dns;
    }

    protected override string? ConfigureNaked(IReadOnlyList<PppOption> options)
    {
        foreach (PppOption o in options)
        {
            if (!IpcpOptions.IsAddress(o.Type) || !IpcpOptions.TryReadAddress(o, out IPAddress value, out _)) continue;
            if (_server)
            {
                // Our address is configured, not negotiable; the peer will reject it in time if it insists.
                continue;
            }
            switch ((IpcpOptionType)o.Type)
            {
                case IpcpOptionType.IpAddress: _requestAddress = value; break;
                case IpcpOptionType.PrimaryDnsAddress when _requestDns1 is not null: _requestDns1 = value; break;
                case IpcpOptionType.SecondaryDnsAddress when _requestDns2 is not null: _requestDns2 = value; break;
            }
        }
        return null;
    }

    protected override string? ConfigureRejected(IReadOnlyList<PppOption> options)
    {
        foreach (PppOption o in options)
        {
            switch ((IpcpOptionType)o.Type)
            {
                case IpcpOptionType.IpAddress when _server: _localRejected = true; break;
                case IpcpOptionType.IpAddress: return "IPCP: server rejected IP-Address: it assigns no address";
                case IpcpOptionType.PrimaryDnsAddress: _requestDns1 = null; break;
                case IpcpOptionType.SecondaryDnsAddress: _requestDns2 = null; break;
            }
        }
        return null;
    }

    protected override void ThisLayerUp(DateTimeOffset now) => _events.LayerUp(this, now);

    protected override void ThisLayerDown(DateTimeOffset now) => _events.LayerDown(this, now);

    protected override void ThisLayerFinished(DateTimeOffset now) => _events.LayerFinished(this, now);
}
