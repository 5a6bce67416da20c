package bench

import (
	"fmt"
	"math"

	"github.com/jwtauth/jwtauth/infra/samtemplate"
)

// Prices are list prices in US dollars, in Region, as AWS's pricing pages gave them on
// Date. The cost model applies no free tier, on either side.
type Prices struct {
	Date   string `json:"date"`
	Region string `json:"region"`

	LambdaGBSecond   float64 `json:"lambda_arm64_gb_second"` // first 7.5 billion GB-s a month
	LambdaRequestsM  float64 `json:"lambda_million_requests"`
	HTTPAPIRequestsM float64 `json:"http_api_million_requests"` // first 300 million a month
	ReadUnitsM       float64 `json:"dynamodb_million_read_request_units"`
	WriteUnitsM      float64 `json:"dynamodb_million_write_request_units"`
	LogsGB           float64 `json:"cloudwatch_logs_ingested_gb"`
	SecretMonth      float64 `json:"secrets_manager_secret_month"`

	CognitoEssentials float64       `json:"cognito_essentials_mau"`
	CognitoLite       []CognitoTier `json:"cognito_lite_mau"`

	Sources map[string]string `json:"sources"`
}

// CognitoTier is the price of each MAU up to UpTo (0: every MAU beyond the tier before).
type CognitoTier struct {
	UpTo int     `json:"up_to"`
	USD  float64 `json:"usd"`
}

// DefaultPrices are us-east-1's, looked up on 2026-12-04.
var DefaultPrices = Prices{
	Date:              "2026-12-04",
	Region:            "us-east-1",
	LambdaGBSecond:    0.0000133334,
	LambdaRequestsM:   0.20,
	HTTPAPIRequestsM:  1.00,
	ReadUnitsM:        0.125, // on-demand, since the cut of 2024-11-01
	WriteUnitsM:       0.625,
	LogsGB:            0.50,
	SecretMonth:       0.40,
	CognitoEssentials: 0.015,
	CognitoLite: []CognitoTier{
		{UpTo: 100_000, USD: 0.0055},
		{UpTo: 1_000_000, USD: 0.0046},
		{UpTo: 10_000_000, USD: 0.00325},
		{USD: 0.0025},
	},
	Sources: map[string]string{
		"Lambda (arm64 duration, requests)":     "https://aws.amazon.com/lambda/pricing/",
		"API Gateway HTTP API":                  "https://aws.amazon.com/api-gateway/pricing/",
		"DynamoDB on-demand request units":      "https://aws.amazon.com/dynamodb/pricing/on-demand/",
		"CloudWatch Logs ingestion":             "https://aws.amazon.com/cloudwatch/pricing/",
		"Secrets Manager (the signing key)":     "https://aws.amazon.com/secrets-manager/pricing/",
		"Cognito user pools (Lite, Essentials)": "https://aws.amazon.com/cognito/pricing/",
	},
}

// Profile is how much one monthly active user uses the API.
type Profile struct {
	DaysPerMonth        float64 `json:"days_of_use_per_month"`
	MinutesPerDay       float64 `json:"minutes_of_use_per_day"`
	SessionsPerDay      float64 `json:"app_opens_per_day"`
	RefreshEveryMinutes float64 `json:"refresh_every_minutes_of_use"` // the access token's lifetime
	LoginsPerMonth      float64 `json:"logins_per_month"`
	MePerSession        float64 `json:"get_me_per_app_open"`
	VerifyPerSession    float64 `json:"verify_per_app_open"`
	RegistersPerMonth   float64 `json:"registrations_per_mau_month"` // new accounts among the MAU
}

// DefaultProfile is a daily user of a mobile app.
var DefaultProfile = Profile{
	DaysPerMonth:        30,
	MinutesPerDay:       20,
	SessionsPerDay:      2,
	RefreshEveryMinutes: 5,
	LoginsPerMonth:      52.0 / 12, // one a week
	MePerSession:        1,
	VerifyPerSession:    1,
	RegistersPerMonth:   0.1,
}

// Requests is the profile's requests per MAU and month, by endpoint.
func (p Profile) Requests() map[string]float64 {
	sessions := p.DaysPerMonth * p.SessionsPerDay
	return map[string]float64{
		"register": p.RegistersPerMonth,
		"login":    p.LoginsPerMonth,
		"me":       sessions * p.MePerSession,
		"refresh":  p.DaysPerMonth * p.MinutesPerDay / p.RefreshEveryMinutes,
		"verify":   sessions * p.VerifyPerSession,
	}
}

// The model's constants.
const (
	// fullCoreMB is the memory size at which Lambda gives a function one full vCPU; below
	// it the CPU share is proportional to memory. The handlers use one thread, so more
	// memory gives them no more speed.
	fullCoreMB = 1769
	// platformLogBytes are the START, END and REPORT lines Lambda logs per invocation.
	platformLogBytes = 240
)

// Memory sizes the tuning table compares.
var tuningSizesMB = []int{128, 256, 512, 1024, fullCoreMB}

// Cost is the cost model's result.
type Cost struct {
	Prices    Prices         `json:"prices"`
	Profile   Profile        `json:"profile"`
	PerMAU    float64        `json:"requests_per_mau_month"`
	Endpoints []EndpointCost `json:"endpoints"`
	Monthly   []Monthly      `json:"monthly"`
	Tuning    []Tuning       `json:"tuning"`
}

// EndpointCost is one request's estimated Lambda duration and its price per million.
type EndpointCost struct {
	Endpoint    string    `json:"endpoint"`
	Function    string    `json:"function"`
	MemoryMB    int       `json:"memory_mb"`
	CPUMs       float64   `json:"cpu_ms"`  // measured here, on one core
	WaitMs      float64   `json:"wait_ms"` // measured here: waiting for DynamoDB Local
	EstimatedMs float64   `json:"estimated_ms"`
	BilledMs    float64   `json:"billed_ms"`
	PerMonth    float64   `json:"requests_per_mau_month"`
	PerMillion  Breakdown `json:"usd_per_million"`
}

// Breakdown is a price by service.
type Breakdown struct {
	Lambda   float64 `json:"lambda"`
	HTTPAPI  float64 `json:"http_api"`
	DynamoDB float64 `json:"dynamodb"`
	Logs     float64 `json:"logs"`
	Total    float64 `json:"total"`
}

// Monthly compares a month of the API with Cognito's per-MAU prices for MAU users.
type Monthly struct {
	MAU               int     `json:"mau"`
	Requests          float64 `json:"requests"`
	USD               float64 `json:"usd"`
	CognitoLite       float64 `json:"cognito_lite_usd"`
	CognitoEssentials float64 `json:"cognito_essentials_usd"`
}

// Tuning is one endpoint's estimated duration and price at several memory sizes.
type Tuning struct {
	Endpoint string         `json:"endpoint"`
	Function string         `json:"function"`
	MemoryMB int            `json:"memory_mb"` // template.yaml's
	Options  []MemoryOption `json:"options"`
}

// MemoryOption is an estimate at one memory size.
type MemoryOption struct {
	MemoryMB    int     `json:"memory_mb"`
	EstimatedMs float64 `json:"estimated_ms"`
	USDPerM     float64 `json:"usd_per_million"`
}

// monthlyMAU are the audiences the monthly cost is computed for.
var monthlyMAU = []int{10_000, 100_000, 1_000_000}

// Model prices every endpoint from its in-process figures and template.yaml's memory
// sizes, and a month of use for each audience.
func Model(tpl *samtemplate.Template, handlers []Handler, profile Profile, prices Prices) (*Cost, error) {
	c := &Cost{Prices: prices, Profile: profile}
	perMonth := profile.Requests()
	dollarsPerMAU := 0.0
	for _, h := range handlers {
		ep, ok := endpoint(h.Endpoint)
		if !ok {
			return nil, fmt.Errorf("bench: no endpoint %q", h.Endpoint)
		}
		fn, _, ok := tpl.Match(ep.Method, ep.Path)
		if !ok {
			return nil, fmt.Errorf("bench: template.yaml routes no function for %s %s", ep.Method, ep.Path)
		}
		cpu, wait := h.CPUNsPerOp/1e6, max(h.NsPerOp-h.CPUNsPerOp, 0)/1e6
		est := estimateMs(cpu, wait, fn.MemorySize)
		e := EndpointCost{
			Endpoint: h.Endpoint, Function: fn.LogicalID, MemoryMB: fn.MemorySize,
			CPUMs: cpu, WaitMs: wait, EstimatedMs: est, BilledMs: math.Ceil(est),
			PerMonth:   perMonth[h.Endpoint],
			PerMillion: perRequest(h, est, fn.MemorySize, prices).times(1e6),
		}
		c.Endpoints = append(c.Endpoints, e)
		c.PerMAU += e.PerMonth
		dollarsPerMAU += e.PerMonth * e.PerMillion.Total / 1e6

		t := Tuning{Endpoint: h.Endpoint, Function: fn.LogicalID, MemoryMB: fn.MemorySize}
		for _, mb := range tuningSizesMB {
			est := estimateMs(cpu, wait, mb)
			t.Options = append(t.Options, MemoryOption{MemoryMB: mb, EstimatedMs: est, USDPerM: perRequest(h, est, mb, prices).Total * 1e6})
		}
		c.Tuning = append(c.Tuning, t)
	}
	for _, mau := range monthlyMAU {
		c.Monthly = append(c.Monthly, Monthly{
			MAU:               mau,
			Requests:          c.PerMAU * float64(mau),
			USD:               dollarsPerMAU*float64(mau) + prices.SecretMonth,
			CognitoLite:       prices.cognitoLite(mau),
			CognitoEssentials: prices.CognitoEssentials * float64(mau),
		})
	}
	return c, nil
}

// estimateMs is a request's duration on Lambda at memoryMB: the CPU time measured here
// stretched by Lambda's CPU share, plus the time spent waiting for DynamoDB.
func estimateMs(cpuMs, waitMs float64, memoryMB int) float64 {
	share := min(float64(memoryMB)/fullCoreMB, 1)
	return waitMs + cpuMs/share
}

// perRequest prices one request that runs estMs at memoryMB.
func perRequest(h Handler, estMs float64, memoryMB int, p Prices) Breakdown {
	b := Breakdown{
		Lambda:   p.LambdaRequestsM/1e6 + float64(memoryMB)/1024*math.Ceil(estMs)/1000*p.LambdaGBSecond,
		HTTPAPI:  p.HTTPAPIRequestsM / 1e6,
		DynamoDB: (h.ReadUnits*p.ReadUnitsM + h.WriteUnits*p.WriteUnitsM) / 1e6,
		Logs:     (h.LogBytes + platformLogBytes) / (1 << 30) * p.LogsGB,
	}
	b.Total = b.Lambda + b.HTTPAPI + b.DynamoDB + b.Logs
	return b
}

func (b Breakdown) times(n float64) Breakdown {
	return Breakdown{Lambda: b.Lambda * n, HTTPAPI: b.HTTPAPI * n, DynamoDB: b.DynamoDB * n, Logs: b.Logs * n, Total: b.Total * n}
}

// cognitoLite is Cognito Lite's price for mau users, tier by tier.
func (p Prices) cognitoLite(mau int) float64 {
	total, below := 0.0, 0
	for _, t := range p.CognitoLite {
		upTo := t.UpTo
		if upTo == 0 || upTo > mau {
			upTo = mau
		}
		if upTo > below {
			total += float64(upTo-below) * t.USD
			below = upTo
		}
	}
	return total
}

func endpoint(name string) (Endpoint, bool) {
	for _, e := range Endpoints {
		if e.Name == name {
			return e, true
		}
	}
	return Endpoint{}, false
}
