"""`GET /v1/models`: the models this server really has installed, with their limits and abilities."""

from __future__ import annotations

from fastapi import APIRouter

from vocalis.api.dependencies import KeyIdDependency, ServicesDependency
from vocalis.schemas.account import Language, ModelRates, ModelResponse

router = APIRouter(tags=["models"])


@router.get("/v1/models", response_model=list[ModelResponse])
def list_models(services: ServicesDependency, _key: KeyIdDependency) -> list[ModelResponse]:
    return [
        ModelResponse(
            model_id=model.model_id,
            name=model.name,
            can_be_finetuned=False,
            can_do_text_to_speech=model.can_do_text_to_speech,
            can_do_voice_conversion=model.can_do_voice_conversion,
            can_use_style=model.can_use_style,
            can_use_speaker_boost=model.can_use_speaker_boost,
            serves_pro_voices=False,
            token_cost_factor=model.character_cost_multiplier,
            description=model.description,
            requires_alpha_access=False,
            max_characters_request_free_user=model.max_characters,
            max_characters_request_subscribed_user=model.max_characters,
            maximum_text_length_per_request=model.max_characters,
            languages=[Language(language_id=code, name=name) for code, name in model.languages],
            model_rates=ModelRates(character_cost_multiplier=model.character_cost_multiplier),
            concurrency_group=model.concurrency_group,
        )
        for model in services.registry.models()
    ]
