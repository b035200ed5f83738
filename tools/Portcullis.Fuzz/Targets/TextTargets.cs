using System.Text;
using Portcullis.Core.Config;
using Portcullis.Core.Pki;
using Portcullis.Host.Control;

namespace Portcullis.Fuzz.Targets;

/// <summary><c>swanctl-conf</c>: the swanctl.conf loader (parser, includes, every section's keys), from an in-memory file.</summary>
internal sealed class SwanctlTarget : IFuzzTarget
{

    public void Run(byte[] input, FuzzContext context)
    {
        string text = Encoding.UTF8.GetString(input);
        var fs = new InMemoryConfigFileSystem().Add("/etc/swanctl/swanctl.conf", text).Add("/etc/swanctl/conf.d/a.conf", "connections { }\n");
        (PortcullisConfig? config, IReadOnlyList<ConfigError> errors) = SwanctlConfigLoader.Load("/etc/swanctl/swanctl.conf", fs);
        foreach (ConfigError e in errors.Take(8)) context.Feature($"error:{e.Key.Count(c => c == '.')}:{FuzzContext.Shape(e.Message)}");
        if (config is not null) context.Feature($"ok:{config.Connections.Count}:{config.Secrets.Count}");
    }
}

/// <summary><c>strongswan-conf</c>: the daemon settings file (strongswan.conf syntax, charon section).</summary>
internal sealed class SettingsTarget : IFuzzTarget
{
    public void Run(byte[] input, FuzzContext context)
    {
        var fs = new InMemoryConfigFileSystem().Add("/etc/portcullis/strongswan.conf", Encoding.UTF8.GetString(input));
        (DaemonSettings? settings, IReadOnlyList<ConfigError> errors, IReadOnlyList<ConfigError> warnings) = DaemonSettingsLoader.Load("/etc/portcullis/strongswan.conf", fs, required: true);
        foreach (ConfigError e in errors.Concat(warnings).Take(8)) context.Feature($"error:{FuzzContext.Shape(e.Message)}");
        context.Feature($"ok:{settings is not null}");
    }
}

/// <summary><c>proposals</c>: strongSwan proposal strings (IKE and ESP).</summary>
internal sealed class ProposalTarget : IFuzzTarget
{
    public void Run(byte[] input, FuzzContext context)
    {
        string text = Encoding.UTF8.GetString(input);
        foreach (ProposalKind kind in new[] { ProposalKind.Ike, ProposalKind.Esp })
        {
            (IReadOnlyList<Portcullis.Core.Ipsec.Proposal> proposals, IReadOnlyList<string> errors) = ProposalParser.Parse(text, kind);
            foreach (string e in errors.Take(4)) context.Feature($"{kind}:{FuzzContext.Shape(e)}");
            context.Feature($"{kind}:{proposals.Count}");
        }
    }
}

/// <summary><c>x509</c>: certificates and CRLs as DER (what a peer's CERT payload carries).</summary>
internal sealed class X509Target : IFuzzTarget
{
    public void Run(byte[] input, FuzzContext context)
    {
        context.Feature($"cert:{CertificateInfo.TryParse(input, out _, out string error)}:{FuzzContext.Shape(error)}");
        context.Feature($"crl:{CrlInfo.TryParse(input, "fuzz", out _, out error)}:{FuzzContext.Shape(error)}");
    }
}

/// <summary><c>control-request</c>: one request line on the control socket (JSON).</summary>
internal sealed class ControlRequestTarget : IFuzzTarget
{
    public void Run(byte[] input, FuzzContext context)
    {
        ControlRequest? request = ControlSocket.ParseRequest(input, out string? error);
        context.Feature(request is null ? $"error:{FuzzContext.Shape(error ?? "")}" : $"command:{request.Args?.Count}");
    }
}
