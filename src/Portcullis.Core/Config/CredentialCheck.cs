using Portcullis.Core.Pki;

namespace Portcullis.Core.Config;

/// <summary>
/// Checks a configuration against the credentials loaded beside it, as <c>swanctl --load-all</c> would refuse them:
/// a certificate or CA named by a connection must be there, with its private key; an EAP client needs its secret;
/// a connection's pools must exist.
/// </summary>
public static class CredentialCheck
{
    /// <summary>The problems, each naming the connection's file and line and the dotted key.</summary>
    public static IReadOnlyList<ConfigError> Check(PortcullisConfig config, CredentialStore store)
    {
        var errors = new List<ConfigError>();
        foreach (ConnectionConfig c in config.Connections)
        {
            void Error(string key, string message) => errors.Add(new ConfigError(c.Location.File, c.Location.Line, $"connections.{c.Name}.{key}", message));

            foreach (string file in c.Local.Certs)
            {
                if (store.FindCertificate(file) is not { } cert) Error("local.certs", $"certificate '{file}' not found in x509/");
                else if (store.FindPrivateKey(cert) is null) Error("local.certs", $"no private key for '{file}' (\"{cert.Subject}\") in private/, rsa/, ecdsa/ or pkcs8/");
            }
            if (c.Local.Class == AuthClass.PublicKey && c.Local.Certs.Count == 0 && c.Local.Id is { } id && store.FindCertificateFor(id) is null)
                Error("local", $"auth = {c.Local.Auth} needs a certificate: set certs, or put one for '{id}' with its key in x509/ and private/");
            foreach (string file in c.Remote.CaCerts)
                if (store.FindCaCertificate(file) is null) Error("remote.cacerts", $"CA certificate '{file}' not found in x509ca/");
            if (c.Remote.Class == AuthClass.PublicKey && store.CaCertificates.Count == 0)
                Error("remote", $"auth = {c.Remote.Auth} needs a CA certificate in x509ca/ to check the peer's certificate");
            foreach (string pool in c.Pools)
                if (!config.Pools.Any(p => p.Name == pool)) Error("pools", $"no pool '{pool}' in the pools section");
        }
        if (config.L2tp is { } l2tp)
            foreach (string pool in l2tp.Pools.Where(p => !config.Pools.Any(q => q.Name == p)))
                errors.Add(new ConfigError(l2tp.Location.File, l2tp.Location.Line, "l2tp.pools", $"no pool '{pool}' in the pools section"));
        return errors;
    }
}
