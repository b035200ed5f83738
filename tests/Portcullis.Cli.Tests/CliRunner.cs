using Portcullis.Cli;

namespace Portcullis.Cli.Tests;

/// <summary>Runs the command line in-process, capturing its exit status and both streams.</summary>
internal static class CliRunner
{
    public static (int Status, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int status = CommandLine.Run(args, stdout, stderr);
        return (status, stdout.ToString(), stderr.ToString());
    }
}
