using Microsoft.Extensions.Logging;

namespace Portcullis.Host.Daemon;

/// <summary>The daemon's own log lines (the engines have theirs).</summary>
internal static partial class DaemonLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "portcullis {Version} started: config {ConfigPath}, {Connections} connections, IKE on {IkePort}/{NatTPort}, TUN {Tun}, control {Socket}")]
    public static partial void Started(ILogger logger, string version, string configPath, int connections, int ikePort, int natTPort, string tun, string socket);

    [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "configuration error: {Error}")]
    public static partial void ConfigError(ILogger logger, string error);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "configuration reloaded from {ConfigPath}: {Connections} connections")]
    public static partial void Reloaded(ILogger logger, string configPath, int connections);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "configuration reload from {ConfigPath} refused, running SAs and the old configuration stay: {Errors}")]
    public static partial void ReloadRefused(ILogger logger, string configPath, string errors);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "shutting down ({Signal}): deleting {Count} IKE SAs")]
    public static partial void ShuttingDown(ILogger logger, string signal, int count);

    [LoggerMessage(EventId = 6, Level = LogLevel.Information, Message = "stopped")]
    public static partial void Stopped(ILogger logger);

    [LoggerMessage(EventId = 7, Level = LogLevel.Warning, Message = "route {Prefix} via {Tun} failed: {Error}")]
    public static partial void RouteFailed(ILogger logger, string prefix, string tun, string error);

    [LoggerMessage(EventId = 8, Level = LogLevel.Warning, Message = "{Conn}[{Uid}] CHILD_SA {Child} negotiated without UDP encapsulation; the raw ESP socket (IP protocol 50) could not be opened, sending ESP in UDP 4500 instead (set encap = yes on both sides)")]
    public static partial void PlainEspUnsupported(ILogger logger, string conn, uint uid, string child);

    [LoggerMessage(EventId = 61, Level = LogLevel.Error, Message = "{Conn}[{Uid}] CHILD_SA {Child} negotiated AH, which this host cannot send: {Why}")]
    public static partial void AhUnsupported(ILogger logger, string conn, uint uid, string child, string why);

    [LoggerMessage(EventId = 10, Level = LogLevel.Warning, Message = "writing every IKE SA's keys to {Path}: for decrypting captures while debugging, never in production")]
    public static partial void KeyLogEnabled(ILogger logger, string path);

    [LoggerMessage(EventId = 60, Level = LogLevel.Information, Message = "data plane on {Tun}: TSO from the TUN device {Tso}, UDP GRO {Gro}, UDP GSO {Gso}")]
    public static partial void DataPlaneOffloads(ILogger logger, string tun, string tso, string gro, string gso);

    [LoggerMessage(EventId = 40, Level = LogLevel.Warning, Message = "settings: {Warning}")]
    public static partial void SettingsWarning(ILogger logger, string warning);

    [LoggerMessage(EventId = 41, Level = LogLevel.Information, Message = "settings {Path}: retransmit_tries {Tries}, retransmit_timeout {Timeout}s, retransmit_base {Base}, retransmit_limit {Limit}s, half_open_timeout {HalfOpen}s, fragment_size {FragmentSize}")]
    public static partial void Settings(ILogger logger, string path, int tries, double timeout, double @base, double limit, double halfOpen, int fragmentSize);

    [LoggerMessage(EventId = 50, Message = "connection {Conn}: {Compat}")]
    public static partial void Compat(ILogger logger, LogLevel level, string conn, string compat);

    [LoggerMessage(EventId = 51, Level = LogLevel.Information, Message = "local addresses changed: {Addresses}")]
    public static partial void AddressesChanged(ILogger logger, string addresses);

    [LoggerMessage(EventId = 52, Level = LogLevel.Information, Message = "serving Prometheus metrics on http://{Endpoint}/metrics")]
    public static partial void MetricsServing(ILogger logger, string endpoint);

    [LoggerMessage(EventId = 9, Level = LogLevel.Error, Message = "{What} failed: {Error}")]
    public static partial void Failure(ILogger logger, string what, string error);

    [LoggerMessage(EventId = 52, Level = LogLevel.Warning, Message = "{Warning}")]
    public static partial void SecretFileReadable(ILogger logger, string warning);
}
