"""`vocalis`: run the server, speak text, and manage voices, models and API keys from a terminal."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from vocalis.config import Settings

app = typer.Typer(help="Vocalis: a self-hosted, ElevenLabs-compatible audio server.", no_args_is_help=True)
keys_app = typer.Typer(
    help="Manage API keys (sent by clients in the xi-api-key header).", no_args_is_help=True
)
app.add_typer(keys_app, name="keys")
webhooks_app = typer.Typer(
    help="Manage workspace webhooks (asynchronous speech-to-text results are POSTed to them).",
    no_args_is_help=True,
)
app.add_typer(webhooks_app, name="webhooks")
models_app = typer.Typer(help="List models; pull the neural engines' weights from a model hub.")
app.add_typer(models_app, name="models")
console = Console()


def _services():
    from vocalis.services import Services

    return Services.open(Settings())


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
    ssl_certfile: Annotated[
        Path | None,
        typer.Option(
            help="PEM certificate: serve https:// and wss:// (see `vocalis certs`).", dir_okay=False
        ),
    ] = None,
    ssl_keyfile: Annotated[
        Path | None, typer.Option(help="PEM private key of --ssl-certfile.", dir_okay=False)
    ] = None,
) -> None:
    """Start the HTTP server (data under VOCALIS_HOME, default ~/.vocalis)."""
    import uvicorn

    from vocalis.app import create_app

    settings = Settings()
    # Options win over VOCALIS_SSL_CERTFILE / VOCALIS_SSL_KEYFILE, one file at a time.
    certfile = ssl_certfile or settings.ssl_certfile
    keyfile = ssl_keyfile or settings.ssl_keyfile
    if (certfile is None) != (keyfile is None):
        raise typer.BadParameter("TLS needs both --ssl-certfile and --ssl-keyfile (or neither).")
    for tls_file in (certfile, keyfile):
        if tls_file is not None and not tls_file.expanduser().is_file():
            raise typer.BadParameter(f"{tls_file} does not exist; `vocalis certs` makes a pair.")
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_level=log_level,
        ssl_certfile=str(certfile.expanduser()) if certfile else None,
        ssl_keyfile=str(keyfile.expanduser()) if keyfile else None,
    )


@app.command()
def certs(
    out_dir: Annotated[
        Path | None, typer.Option(help="Folder for cert.pem and key.pem (default VOCALIS_HOME/tls).")
    ] = None,
    host: Annotated[
        list[str] | None,
        typer.Option(help="Another DNS name or IP address to cover, besides loopback (repeatable)."),
    ] = None,
    # 825 days is the longest validity macOS and iOS accept for a TLS server certificate.
    days: Annotated[int, typer.Option(min=1, help="Days the certificate stays valid.")] = 825,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing certificate.")] = False,
) -> None:
    """Make a self-signed certificate for localhost, 127.0.0.1 and ::1, and show how to trust it."""
    from vocalis.tls import LOOPBACK_HOSTS, write_self_signed

    directory = (out_dir or Settings().home_dir / "tls").expanduser()
    certfile = directory / "cert.pem"
    # Clients already told to trust the old certificate would stop connecting, so replacing one is explicit.
    if certfile.exists() and not force:
        console.print(f"[red]{certfile} exists; pass --force to replace it.[/red]")
        raise typer.Exit(1)
    written = write_self_signed(directory, [*LOOPBACK_HOSTS, *(host or [])], days)
    certfile_text, keyfile_text = str(written.certfile), str(written.keyfile)
    lines = [
        f"Certificate: {certfile_text}",
        f"Private key: {keyfile_text}",
        f"Valid for {', '.join(written.hosts)} until {written.not_valid_after:%Y-%m-%d}.",
        "",
        "Serve https:// and wss:// with it:",
        f"  vocalis serve --ssl-certfile {certfile_text} --ssl-keyfile {keyfile_text}",
        f"  # or VOCALIS_SSL_CERTFILE={certfile_text} VOCALIS_SSL_KEYFILE={keyfile_text}",
        "",
        "Trust it in clients:",
        "  # Python: httpx, the elevenlabs SDK (https:// and convert_realtime's wss://), websockets, aiohttp",
        f"  export SSL_CERT_FILE={certfile_text}",
        "  # Python requests",
        f"  export REQUESTS_CA_BUNDLE={certfile_text}",
        "  # Node.js, the elevenlabs JavaScript SDK",
        f"  export NODE_EXTRA_CA_CERTS={certfile_text}",
        '  # then: ElevenLabs(base_url="https://localhost:8000")',
        "SSL_CERT_FILE replaces the default CA list of every process that sees it; to keep the public CAs,",
        "give a single client the file instead:",
        f'  httpx.Client(verify=ssl.create_default_context(cafile="{certfile_text}"))',
    ]
    # Plain and unwrapped, so every command can be copied as it is.
    console.print("\n".join(lines), markup=False, highlight=False, soft_wrap=True)


def _find_voice(services, name_or_id: str):
    for voice in services.voices.all():
        if name_or_id in (voice.voice_id, voice.name) or name_or_id.lower() == voice.name.lower():
            return voice
    raise typer.BadParameter(f"No voice named or with id {name_or_id!r}; see `vocalis voices`.")


async def _speak(
    services, voice_id: str, text: str, model_id: str, output_format: str, progress: Progress
) -> bytes:
    from vocalis.schemas.text_to_speech import TextToSpeechRequest
    from vocalis.speech.service import encoded_pieces

    prepared = services.speech.prepare(
        voice_id,
        TextToSpeechRequest(text=text, model_id=model_id),
        output_format=output_format,
        optimize_streaming_latency=None,
        enable_logging=True,
        key_id=None,
        streaming=False,
    )
    task = progress.add_task("Synthesizing", total=len(text))
    audio = bytearray()
    async for piece, data in encoded_pieces(services.speech, prepared):
        audio += data
        if piece is not None:
            progress.advance(task, len(piece.alignment))
    return bytes(audio)


@app.command()
def tts(
    text: Annotated[str, typer.Argument(help="Text to speak.")],
    voice: Annotated[str, typer.Option(help="Voice name or id.")] = "George",
    output: Annotated[Path, typer.Option("-o", "--output", help="Output file.")] = Path("speech.mp3"),
    model: Annotated[str, typer.Option(help="Model id.")] = "eleven_multilingual_v2",
    output_format: Annotated[str, typer.Option(help="ElevenLabs output_format.")] = "mp3_44100_128",
) -> None:
    """Speak TEXT with a voice and write the audio file."""
    from vocalis.errors import VocalisError

    services = _services()
    try:
        chosen = _find_voice(services, voice)
        columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"))
        with Progress(*columns, TimeElapsedColumn(), console=console, transient=True) as progress:
            audio = asyncio.run(_speak(services, chosen.voice_id, text, model, output_format, progress))
    except VocalisError as error:
        console.print(f"[red]{error.message}[/red]")
        raise typer.Exit(1) from error
    finally:
        services.close()
    output.write_bytes(audio)
    console.print(f"Wrote {output} ({len(audio)} bytes) with {chosen.name}.")


@app.command()
def voices() -> None:
    """List the voices: id, name, category and labels."""
    services = _services()
    try:
        table = Table("voice_id", "name", "category", "gender", "age", "accent", "use case")
        for voice in services.voices.all():
            labels = voice.labels
            table.add_row(
                voice.voice_id,
                voice.name,
                voice.category,
                labels.get("gender", ""),
                labels.get("age", ""),
                labels.get("accent", ""),
                labels.get("use_case", ""),
            )
        console.print(table)
    finally:
        services.close()


@models_app.callback(invoke_without_command=True)
def models(ctx: typer.Context) -> None:
    """List the served models, and the neural engines `vocalis models pull` can add."""
    if ctx.invoked_subcommand is None:
        models_list()


@models_app.command("list")
def models_list() -> None:
    """List the served models, and the neural engines `vocalis models pull` can add."""
    from vocalis.engines import downloads

    settings = Settings()
    services = _services()
    try:
        table = Table("model_id", "engine", "max characters", "name", title="Served")
        for model in services.registry.models():
            table.add_row(model.model_id, model.engine, str(model.max_characters), model.name)
        console.print(table)
    finally:
        services.close()
    pullable = Table(
        "name", "status", "licence", "what it gives", title="Pullable (vocalis models pull NAME)"
    )
    for model in downloads.PULLABLE.values():
        found = downloads.located(model, getattr(settings, model.path_setting), settings.models_dir)
        status = f"installed in {found.directory}" if found else "not installed"
        if found and model.runtime_missing():
            status += f"; needs {', '.join(model.runtime_missing())}: {model.install_hint}"
        pullable.add_row(model.name, status, model.licence, model.summary)
    console.print(pullable)


@models_app.command("pull")
def models_pull(
    name: Annotated[
        str, typer.Argument(help="openvoice-v2, chatterbox or stable-audio-open (see `vocalis models list`).")
    ],
    revision: Annotated[
        str | None,
        typer.Option(
            help="Hub commit or branch; other than the recorded one, the hub's digests are checked."
        ),
    ] = None,
    from_dir: Annotated[
        Path | None,
        typer.Option(
            "--from",
            help="Install from a local copy (files checked against recorded digests).",
            exists=True,
            file_okay=False,
        ),
    ] = None,
) -> None:
    """Download a neural engine's weights into the model cache (VOCALIS_MODEL_CACHE) and verify them."""
    from rich.progress import DownloadColumn, TimeRemainingColumn, TransferSpeedColumn

    from vocalis.engines import downloads

    settings = Settings()
    try:
        model = downloads.pullable(name)
        if from_dir is not None:
            directory = downloads.install_from(model, from_dir.expanduser(), settings.models_dir)
        else:
            columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn())
            with Progress(*columns, TimeRemainingColumn(), console=console) as progress:
                tasks: dict[str, TaskID] = {}

                def advance(file: downloads.HubFile, done: int, total: int | None) -> None:
                    if file.path not in tasks:
                        tasks[file.path] = progress.add_task(file.name, total=total)
                    progress.update(tasks[file.path], completed=done, total=total)

                token = settings.hub_token.get_secret_value() if settings.hub_token else None
                directory = downloads.pull(
                    model,
                    settings.models_dir,
                    hub_url=settings.hub_url,
                    revision=revision,
                    progress=advance,
                    token=token,
                )
    except downloads.PullError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from error
    console.print(f"Installed {model.name} in {directory} (digests verified).")
    if model.runtime_missing():
        console.print(f"It also needs {', '.join(model.runtime_missing())}: {model.install_hint}")


@keys_app.command("create")
def keys_create(name: Annotated[str, typer.Option(help="A label for the key.")] = "default") -> None:
    """Create an API key; it is shown once and stored only as a hash."""
    services = _services()
    try:
        created = services.api_keys.create(name)
    finally:
        services.close()
    console.print(
        f"key_id: {created.key_id}\napi key: [bold]{created.key}[/bold]\nStore it now; it is not shown again."
    )


@keys_app.command("list")
def keys_list() -> None:
    """List API keys (previews only)."""
    services = _services()
    try:
        table = Table("key_id", "name", "preview", "status")
        for key in services.api_keys.list():
            table.add_row(
                key.key_id, key.name, key.key_preview, "revoked" if key.revoked_at_unix else "active"
            )
        console.print(table)
    finally:
        services.close()


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="The key_id from `vocalis keys list`.")]) -> None:
    """Revoke an API key."""
    services = _services()
    try:
        revoked = services.api_keys.revoke(key_id)
    finally:
        services.close()
    if not revoked:
        console.print(f"[red]No active key with key_id {key_id}.[/red]")
        raise typer.Exit(1)
    console.print(f"Revoked {key_id}.")


@webhooks_app.command("create")
def webhooks_create(
    name: Annotated[str, typer.Option(help="A label for the webhook.")],
    url: Annotated[str, typer.Option(help="The http(s) URL events are POSTed to.")],
) -> None:
    """Create a webhook subscribed to speech-to-text events; its signing secret is shown once."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise typer.BadParameter("--url must be an http(s) URL.")
    services = _services()
    try:
        created = services.webhooks.create(name, url)
    finally:
        services.close()
    console.print(
        f"webhook_id: {created.webhook_id}\nsecret: [bold]{created.secret}[/bold]\n"
        "Keep the secret to verify the ElevenLabs-Signature header; it is not shown again."
    )


@webhooks_app.command("list")
def webhooks_list() -> None:
    """List webhooks (secrets are not shown)."""
    services = _services()
    try:
        table = Table("webhook_id", "name", "url", "events", "status")
        for row in services.webhooks.list():
            table.add_row(
                row.webhook_id,
                row.name,
                row.webhook_url,
                ", ".join(row.events or []),
                "disabled" if row.is_disabled else "enabled",
            )
        console.print(table)
    finally:
        services.close()


@webhooks_app.command("delete")
def webhooks_delete(
    webhook_id: Annotated[str, typer.Argument(help="The webhook_id from `vocalis webhooks list`.")],
) -> None:
    """Delete a webhook."""
    services = _services()
    try:
        deleted = services.webhooks.delete(webhook_id)
    finally:
        services.close()
    if not deleted:
        console.print(f"[red]No webhook with webhook_id {webhook_id}.[/red]")
        raise typer.Exit(1)
    console.print(f"Deleted {webhook_id}.")


@app.command()
def stt(
    audio: Annotated[
        Path, typer.Argument(help="Audio or video file to transcribe.", exists=True, dir_okay=False)
    ],
    model: Annotated[
        str, typer.Option(help="scribe_v1 (picks by language), whisper-tiny.en, whisper-base.")
    ] = ("scribe_v1"),
    language: Annotated[str | None, typer.Option(help="ISO-639-1/3 code; detected when absent.")] = None,
    diarize: Annotated[bool, typer.Option("--diarize", help="Label speakers.")] = False,
    num_speakers: Annotated[int | None, typer.Option(help="Number of speakers, if known.")] = None,
    output_format: Annotated[
        str, typer.Option("--format", help="txt, srt, segmented_json, html, docx, pdf, json.")
    ] = ("txt"),
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Output file (default: stdout).")
    ] = None,
) -> None:
    """Transcribe AUDIO (words, timestamps and, with --diarize, speakers) with a progress bar."""
    import base64
    import json

    from vocalis.api.speech_to_text import response_json
    from vocalis.audio import AudioDecodeError, decode
    from vocalis.errors import VocalisError
    from vocalis.schemas.export_options import ExportOptions
    from vocalis.transcription.exports import export
    from vocalis.transcription.service import TranscriptionRequest

    services = _services()
    try:
        try:
            samples = decode(audio, sample_rate=16000).samples
        except AudioDecodeError as error:
            raise typer.BadParameter(f"{audio} is not readable audio: {error}") from error
        request = TranscriptionRequest(
            model_id=model, language_code=language, diarize=diarize, num_speakers=num_speakers
        )
        columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"))
        with Progress(*columns, TimeElapsedColumn(), console=console, transient=True) as progress:
            task = progress.add_task("Transcribing", total=1.0)
            result = asyncio.run(
                services.transcription.transcribe(
                    samples, request, progress=lambda done: progress.update(task, completed=done)
                )
            )
    except VocalisError as error:
        console.print(f"[red]{error.message}[/red]")
        raise typer.Exit(1) from error
    finally:
        services.close()
    if output_format == "json":
        content: bytes = json.dumps(response_json(result, None, []), indent=2, ensure_ascii=False).encode()
    else:
        from pydantic import TypeAdapter

        try:
            options = TypeAdapter(ExportOptions).validate_python({"format": output_format})
        except ValueError as error:
            raise typer.BadParameter(f"Unknown format {output_format!r}.") from error
        exported = export(result, options)
        content = (
            base64.b64decode(exported.content) if exported.is_base64_encoded else exported.content.encode()
        )
    if output is None:
        if output_format in {"docx", "pdf"}:
            raise typer.BadParameter(f"{output_format} is binary: give an output file with -o.")
        console.print(content.decode(), markup=False, highlight=False)
    else:
        output.write_bytes(content)
        console.print(f"Wrote {output} ({result.language_code}, {result.duration:.1f} s of audio).")
