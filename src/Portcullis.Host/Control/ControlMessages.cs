using System.Text.Json.Serialization;

namespace Portcullis.Host.Control;

/// <summary>One control request: a command name (e.g. <c>list-sas</c>) and its named arguments.</summary>
public sealed record ControlRequest
{
    [JsonPropertyName("command")]
    public required string Command { get; init; }

    [JsonPropertyName("args")]
    public Dictionary<string, string>? Args { get; init; }
}

/// <summary>The answer to a <see cref="ControlRequest"/>: text for the user and the exit code the CLI should return.</summary>
public sealed record ControlResponse
{
    [JsonPropertyName("ok")]
    public bool Ok { get; init; }

    [JsonPropertyName("output")]
    public string? Output { get; init; }

    [JsonPropertyName("error")]
    public string? Error { get; init; }

    [JsonPropertyName("exitCode")]
    public int ExitCode { get; init; }

    public static ControlResponse Success(string output) => new() { Ok = true, Output = output, ExitCode = 0 };

    public static ControlResponse Failure(string error, int exitCode = 1) => new() { Ok = false, Error = error, ExitCode = exitCode };
}

/// <summary>Source-generated (reflection-free, trimming-safe) JSON for the control protocol.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, WriteIndented = false)]
[JsonSerializable(typeof(ControlRequest))]
[JsonSerializable(typeof(ControlResponse))]
public sealed partial class ControlJsonContext : JsonSerializerContext;
